//===- KVCacheTest.cpp - Page allocator and KVCache call plans -------------===//
//
// The KVCache on recording fake kernels (no attnc kernels needed): which
// append and decode calls it makes per layout, the page table it builds, and
// its errors. The real kernels run in runtime/model/ModelCacheTest.cpp.
//
//===----------------------------------------------------------------------===//
#include "model/KVCache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

using namespace attnc::model;

namespace {

TEST(PageAllocator, HandsOutPagesAsSequencesGrow) {
  PageAllocator p(/*pages=*/4, /*pageSize=*/16, /*seqs=*/2, /*maxPages=*/3);
  std::string error;
  EXPECT_TRUE(p.grow(0, 1, error));
  EXPECT_EQ(p.tableView()[0], 3); // from the top: logical != physical
  EXPECT_EQ(p.tableView()[1], -1);
  EXPECT_TRUE(p.grow(0, 16, error)); // still one page
  EXPECT_EQ(p.freePages(), 3);
  EXPECT_TRUE(p.grow(0, 17, error));
  EXPECT_EQ(p.tableView()[1], 2);
  EXPECT_TRUE(p.grow(1, 20, error)); // two pages for sequence 1
  EXPECT_EQ(p.tableView()[3], 1);
  EXPECT_EQ(p.tableView()[4], 0);
  EXPECT_EQ(p.freePages(), 0);
  // Out of pages: nothing changes.
  EXPECT_FALSE(p.grow(0, 33, error));
  EXPECT_NE(error.find("out of KV-cache pages: 33 tokens need 1 more pages of 16, 0 of 4 free"),
            std::string::npos)
      << error;
  EXPECT_EQ(p.tableView()[2], -1);
  // Past the page table.
  p.release(1);
  EXPECT_FALSE(p.grow(0, 49, error));
  EXPECT_NE(error.find("the page table holds 3 per sequence (48 tokens)"), std::string::npos) << error;
  EXPECT_EQ(p.freePages(), 2);
  EXPECT_TRUE(p.grow(0, 48, error));
  EXPECT_FALSE(p.grow(2, 1, error));
  EXPECT_NE(error.find("no sequence 2"), std::string::npos);
  p.release(0);
  EXPECT_EQ(p.freePages(), 4);
  EXPECT_EQ(std::count(p.tableView().begin(), p.tableView().end(), -1), 6);
}

TEST(PageAllocator, SharesFullPagesAndCopiesThePartialOne) {
  PageAllocator p(/*pages=*/6, /*pageSize=*/16, /*seqs=*/3, /*maxPages=*/6);
  std::string error;
  int32_t from = 0, to = 0;
  ASSERT_TRUE(p.grow(0, 37, error)); // pages 5, 4, 3 (3 partly filled)
  ASSERT_TRUE(p.share(0, 1, 37, from, to, error)) << error;
  EXPECT_EQ(p.tableView()[6], 5); // the full pages are the same physical pages
  EXPECT_EQ(p.tableView()[7], 4);
  EXPECT_EQ(from, 3);
  EXPECT_EQ(to, 2);
  EXPECT_EQ(p.tableView()[8], 2); // the partial page: a fresh copy
  EXPECT_EQ(p.references(5), 2);
  EXPECT_EQ(p.references(3), 1);
  EXPECT_EQ(p.freePages(), 2);
  // A page boundary: nothing to copy.
  ASSERT_TRUE(p.share(0, 2, 32, from, to, error)) << error;
  EXPECT_EQ(from, -1);
  EXPECT_EQ(p.references(4), 3);
  EXPECT_EQ(p.freePages(), 2);
  // Into a non-empty sequence, past what the source holds, out of range.
  EXPECT_FALSE(p.share(0, 1, 16, from, to, error));
  EXPECT_NE(error.find("sequence 1 is not empty"), std::string::npos) << error;
  p.release(2);
  EXPECT_FALSE(p.share(0, 2, 60, from, to, error));
  EXPECT_NE(error.find("has no 60 tokens"), std::string::npos) << error;
  EXPECT_FALSE(p.share(0, 3, 16, from, to, error));
  // A shared page returns to the pool with its last user.
  p.release(0);
  EXPECT_EQ(p.references(5), 1);
  EXPECT_EQ(p.freePages(), 3); // seq 0's partial page 3
  p.release(1);
  EXPECT_EQ(p.freePages(), 6);
}

TEST(KVCache, AppendStatusMessages) {
  EXPECT_EQ(appendStatusMessage(1, 10, 4, 12),
            "the KV cache is full: appending tokens 10..13 exceeds its capacity of 12 tokens");
  EXPECT_EQ(appendStatusMessage(2, 0, 1, 16), "the KV cache's page table has no page for tokens 0..0");
  EXPECT_NE(appendStatusMessage(3, 0, 1, 16).find("no such sequence"), std::string::npos);
  EXPECT_NE(appendStatusMessage(7, 0, 1, 16).find("status 7"), std::string::npos);
}

// What the fake kernels saw.
struct Call {
  char kind; // 'a' append, 's' split, 'm' merge
  int64_t n, len;            // append: tokens, len; split/merge: rows, splits
  std::vector<int64_t> lens; // split
  std::vector<int32_t> table;
};
std::vector<Call> calls;
int32_t appendStatus = 0;

int32_t fakeAppend(const float *, const float *, const int64_t *, int64_t n, const CacheStorage &c,
                   int64_t, int64_t len) {
  Call call{'a', n, len, {}, {}};
  if (c.pageTable)
    call.table.assign(c.pageTable, c.pageTable + c.seqs * c.maxPages);
  calls.push_back(call);
  return appendStatus;
}
void fakeSplit(const float *, const int64_t *qPos, const int64_t *qSeq, int64_t rows,
               const CacheStorage &, const int64_t *lens, float *, float *, int64_t splits,
               int64_t begin, int64_t) {
  for (int64_t b = 0; b < rows; ++b) {
    EXPECT_EQ(qSeq[b], 0);
    EXPECT_EQ(lens[b], qPos[b] + 1);
  }
  if (begin == 0) // once per call, whatever the threads
    calls.push_back({'s', rows, splits, std::vector<int64_t>(lens, lens + rows), {}});
}
void fakeMerge(const float *, const float *, int64_t rows, int64_t splits, float *out, int64_t begin,
               int64_t end) {
  for (int64_t w = begin; w < end; ++w) out[w * 64] = 1.0f;
  if (begin == 0)
    calls.push_back({'m', rows, splits, {}, {}});
}

AttentionKernels fakeSpec(CacheLayout layout) {
  AttentionKernels a{"fake", 2, 1, 64, 10000.0, nullptr, nullptr, {}, {}, {}};
  a.cache = layout;
  a.cacheKernels.append = fakeAppend;
  a.cacheKernels.decodeSplit = fakeSplit;
  a.cacheKernels.decodeMerge = fakeMerge;
  a.cacheKernels.headsPerBlock = 1;
  return a;
}

/// Runs one forward of n tokens over `layers` layers.
bool forward(KVCache &kv, int64_t n, int layers, std::string &error) {
  std::vector<float> q(n * 2 * 64), k(n * 64), v(n * 64), out(n * 2 * 64, 0.0f);
  if (!kv.reserve(n, error))
    return false;
  for (int l = 0; l < layers; ++l)
    if (!kv.attend(l, q.data(), k.data(), v.data(), n, out.data(), error))
      return false;
  kv.commit(n);
  return true;
}

TEST(KVCache, PagedPrefillIsOneMultiQueryDecode) {
  CacheLayout c;
  c.kind = CacheLayout::Kind::Paged;
  c.pageSize = 4;
  AttentionKernels a = fakeSpec(c);
  std::string error;
  auto kv = makeKVCache(a, 2, 10, 2, error); // 3 pages
  ASSERT_TRUE(kv) << error;
  EXPECT_EQ(kv->capacity(), 12);
  calls.clear();
  ASSERT_TRUE(forward(*kv, 5, 1, error)) << error;
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].kind, 'a');
  EXPECT_EQ(calls[0].n, 5);
  EXPECT_EQ(calls[0].table, (std::vector<int32_t>{2, 1, -1}));
  EXPECT_EQ(calls[1].kind, 's');
  EXPECT_EQ(calls[1].lens, (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(calls[2].kind, 'm');
  // Decode of one token: split so that both threads have work.
  calls.clear();
  ASSERT_TRUE(forward(*kv, 1, 1, error)) << error;
  EXPECT_EQ(calls[1].lens, (std::vector<int64_t>{6}));
  EXPECT_EQ(calls[1].len, 1); // 6 keys: one split of >= 64 keys
  EXPECT_EQ(kv->tokens(), 6);
  // Past the capacity: a clear message, nothing appended.
  calls.clear();
  EXPECT_FALSE(forward(*kv, 7, 1, error));
  EXPECT_NE(error.find("holds 12 tokens; 6 cached + 7 new do not fit"), std::string::npos) << error;
  EXPECT_TRUE(calls.empty());
  // The kernel's status becomes a message.
  appendStatus = 2;
  EXPECT_FALSE(forward(*kv, 1, 1, error));
  EXPECT_EQ(error, "the KV cache's page table has no page for tokens 6..6");
  appendStatus = 0;
  // Clear returns the pages: the same ones again.
  kv->clear();
  calls.clear();
  ASSERT_TRUE(forward(*kv, 1, 1, error));
  EXPECT_EQ(calls[0].table, (std::vector<int32_t>{2, -1, -1}));
}

TEST(KVCache, RingAppendsAndAttendsOneTokenAtATime) {
  CacheLayout c;
  c.kind = CacheLayout::Kind::Ring;
  c.sinks = 2;
  c.window = 4;
  AttentionKernels a = fakeSpec(c);
  std::string error;
  auto kv = makeKVCache(a, 1, 0, 1, error);
  ASSERT_TRUE(kv) << error;
  calls.clear();
  ASSERT_TRUE(forward(*kv, 9, 1, error)) << error; // wraps the ring
  ASSERT_EQ(calls.size(), 27u);
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(calls[3 * i].kind, 'a');
    EXPECT_EQ(calls[3 * i].n, 1);
    EXPECT_EQ(calls[3 * i].len, i);
    EXPECT_EQ(calls[3 * i + 1].lens, (std::vector<int64_t>{i + 1}));
  }
  EXPECT_EQ(kv->tokens(), 9);
  EXPECT_EQ(kv->resident(), 6);
  EXPECT_EQ(kv->bytes(), 6u * (2 * 64 * 4 + 8)); // constant: sinks + window slots
}

TEST(KVCache, Int8BytesAreCodesScalesAndPositions) {
  CacheLayout c; // contiguous
  c.quant = CacheLayout::Quant::Int8;
  AttentionKernels a = fakeSpec(c);
  std::string error;
  auto kv = makeKVCache(a, 1, 8, 1, error);
  ASSERT_TRUE(kv) << error;
  calls.clear();
  ASSERT_TRUE(forward(*kv, 3, 1, error)) << error;
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].lens, (std::vector<int64_t>{1, 2, 3}));
  // int8 codes, f32 scales per token and KV head, positions.
  EXPECT_EQ(kv->bytes(), 8u * (2 * 64 + 2 * 4 + 8));
}

TEST(KVCache, RefusesBadArguments) {
  std::string error;
  AttentionKernels a = fakeSpec(CacheLayout{});
  a.cacheKernels.append = nullptr;
  EXPECT_FALSE(makeKVCache(a, 1, 8, 1, error));
  EXPECT_EQ(error, "spec fake has no cache kernels");
  a = fakeSpec(CacheLayout{});
  EXPECT_FALSE(makeKVCache(a, 1, -3, 1, error));
  EXPECT_NE(error.find("out of range"), std::string::npos);
  auto kv = makeKVCache(a, 1, 8, 1, error);
  std::vector<float> x(2 * 64);
  EXPECT_FALSE(kv->attend(5, x.data(), x.data(), x.data(), 1, x.data(), error));
  EXPECT_NE(error.find("no cache layer 5"), std::string::npos);
}

} // namespace

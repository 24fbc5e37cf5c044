//===- KVCache.h - The KV cache in a spec's layout, on its cache kernels -*- C++ -*-===//
//
// For specs whose cache is paged, quantized or a ring, the model's attention
// runs through the spec's cache kernels (docs/kernels.md, "Decode and
// append"): per layer, `append` writes the new tokens' un-rotated K/V (it
// applies on_write RoPE and quantizes), then `decode_split` + `decode_merge`
// attend the new queries (un-rotated; the kernel rotates them at q_pos) over
// the cache. KVCache owns the buffers of every layer in the spec's layout
// and, for a paged spec, the page allocator and page table.
//
// A prefill chunk of n tokens over a contiguous or paged cache appends all n,
// then runs one decode_split with n query rows reading the one sequence
// (q_seq; row i sees start + i + 1 tokens). A ring cannot: appending later
// tokens overwrites the window of earlier queries, so it appends and attends
// one token at a time.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_MODEL_KVCACHE_H
#define ATTNC_RUNTIME_MODEL_KVCACHE_H

#include "model/SpecMatch.h"

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace attnc::model {

/// Physical pages of a paged cache handed out to sequences as they grow,
/// through a page table [seqs][maxPages] (int32, unused entries -1). Pages
/// are handed out from the highest index down, so logical and physical page
/// numbers differ (an addressing mistake shows). A page can be mapped by
/// several sequences (share: a common prompt prefix); it returns to the pool
/// when the last of them releases it.
class PageAllocator {
public:
  PageAllocator(int64_t pages, int64_t pageSize, int64_t seqs, int64_t maxPages);
  /// Maps pages for tokens [0, tokens) of `seq`. False, with `error` set and
  /// nothing changed, when that needs more than maxPages or free pages.
  bool grow(int64_t seq, int64_t tokens, std::string &error);
  /// Returns the pages of `seq` to the pool (those no other sequence maps).
  void release(int64_t seq);
  /// Maps the first `tokens` tokens of `from` into the empty sequence `to`:
  /// the full pages are shared (they are never written again: appends go
  /// past `tokens`), the partly filled last page gets a fresh page for `to`,
  /// returned in copyFrom/copyTo (-1 if none) for the caller to copy. False,
  /// with `error` set and nothing changed, on bad sequences or no free page.
  bool share(int64_t from, int64_t to, int64_t tokens, int32_t &copyFrom, int32_t &copyTo,
             std::string &error);
  /// Sequences mapping physical page `p`.
  int32_t references(int32_t p) const { return refs_[p]; }
  int64_t freePages() const { return (int64_t)free_.size(); }
  int64_t pages() const { return pages_; }
  int64_t maxPages() const { return maxPages_; }
  int64_t seqs() const { return seqs_; }
  int32_t *table() { return table_.data(); }
  const std::vector<int32_t> &tableView() const { return table_; }

private:
  int64_t pages_, pageSize_, seqs_, maxPages_;
  std::vector<int32_t> table_;
  std::vector<int32_t> free_;       ///< a stack: back() is handed out next
  std::vector<int64_t> mappedPages_; ///< per sequence
  std::vector<int32_t> refs_;        ///< per physical page
};

/// The KV cache of one sequence, all layers, in the spec's layout.
class KVCache {
public:
  virtual ~KVCache() = default;
  /// Forgets every token (pages go back to the pool; memory is kept).
  virtual void clear() = 0;
  /// Tokens appended since clear(): the position of the next one.
  virtual int64_t tokens() const = 0;
  /// Tokens attention sees now: tokens(), or for a ring at most sinks + window.
  virtual int64_t resident() const = 0;
  /// Tokens it can hold (a ring: any number).
  virtual int64_t capacity() const = 0;
  /// Bytes of every buffer, all layers: K/V (codes), scales, positions, page table.
  virtual size_t bytes() const = 0;
  /// "paged(16) nhd, 32 pages of 16 tokens" etc.
  virtual std::string describe() const = 0;

  /// Makes room for `n` more tokens (maps pages). False, with `error` set,
  /// when they do not fit. Call once per forward, before the layers.
  virtual bool reserve(int64_t n, std::string &error) = 0;
  /// Appends the n new tokens' K/V (k, v [n][kv_heads][D], un-rotated) to
  /// `layer` at positions tokens().. and writes the attention of the n
  /// queries (q [n][heads][D], un-rotated) to out [n][heads][D]. False, with
  /// `error` set, when the append kernel refuses.
  virtual bool attend(int layer, const float *q, const float *k, const float *v, int64_t n,
                      float *out, std::string &error) = 0;
  /// Ends the forward of `n` tokens (every layer attended): tokens() += n.
  virtual void commit(int64_t n) = 0;

  /// Sequences the cache holds (1 unless made with more; paged only).
  virtual int64_t sequences() const { return 1; }
  /// Makes `seq` the sequence that tokens(), reserve, attend and commit act
  /// on. False, with `error` set, if there is no such sequence.
  virtual bool select(int64_t seq, std::string &error);
  /// Starts the empty sequence `to` as a copy of the current one (its
  /// tokens(), sharing the full pages: a prompt prefix is stored once).
  /// Paged caches only; false, with `error` set, otherwise or when `to` is
  /// not empty or no page is free.
  virtual bool fork(int64_t to, std::string &error);
  /// Physical pages in use (paged; else 0).
  virtual int64_t pagesInUse() const { return 0; }
};

/// What every cache in a spec's layout keeps besides its buffers (the CPU
/// one of makeKVCache and the GPU one of GpuKVCache.h): each sequence's
/// length, the current sequence, the capacity, a paged spec's pages, and the
/// buffers' geometry (rows: pages, else 1; slots per row).
class LayoutKVCache : public KVCache {
public:
  LayoutKVCache(const AttentionKernels &a, int64_t capacity, int64_t sequences);
  int64_t tokens() const override { return tokens_[cur_]; }
  int64_t resident() const override;
  int64_t capacity() const override { return capacity_; }
  bool reserve(int64_t n, std::string &error) override;
  void commit(int64_t n) override { tokens_[cur_] += n; }
  int64_t sequences() const override { return tokens_.size(); }
  bool select(int64_t seq, std::string &error) override;
  int64_t pagesInUse() const override { return pages_ ? pages_->pages() - pages_->freePages() : 0; }

protected:
  /// Every sequence emptied, its pages returned, sequence 0 current.
  void resetSequences();
  /// fork()'s bookkeeping: `to` (empty) maps the current sequence's full
  /// pages; copyFrom/copyTo name the partly filled page to copy (-1: none).
  /// False, with `error` set, when not paged, `to` is not empty or no page
  /// is free.
  bool shareInto(int64_t to, int32_t &copyFrom, int32_t &copyTo, std::string &error);
  /// describe()'s text: the layout, `where` it lives, pages or capacity.
  std::string describeLayout(const std::string &where) const;
  bool ring() const { return a_.cache.kind == CacheLayout::Kind::Ring; }

  const AttentionKernels &a_;
  int64_t rows_ = 1, slots_ = 0, capacity_ = 0, cur_ = 0;
  std::vector<int64_t> tokens_; ///< per sequence
  std::unique_ptr<PageAllocator> pages_;
};

/// How the attention work items are spread over threads: f(n, body, ctx)
/// runs body(ctx, i) for every i < n concurrently and returns when all are
/// done. The default creates std::threads per call (attn_decoding does not
/// need the Halide kernels); Model::load installs kernels::parallelFor, the
/// dense ops' persistent pool.
using ParallelFor = void (*)(int n, void (*body)(void *ctx, int i), void *ctx);
void setParallelFor(ParallelFor f);
ParallelFor parallelFor();

/// body(i) for every i < n, through parallelFor().
template <typename F> void parallelForEach(int n, F &&body) {
  parallelFor()(n, [](void *f, int i) { (*static_cast<std::remove_reference_t<F> *>(f))(i); }, &body);
}

/// Reusable buffers of decodeRows (split partial outputs, lengths).
struct DecodeScratch {
  std::vector<int64_t> lens, seqs;
  std::vector<float> partOut, partLse;
};

/// The attention of `rows` queries q [rows][heads][D] (un-rotated; the kernel
/// rotates them at qPos) over sequence `seq` of `c`, row i seeing its first
/// qPos[i] + 1 slots, through a's decode_split + decode_merge, the keys split
/// so that each of `threads` threads has work. out [rows][heads][D].
void decodeRows(const AttentionKernels &a, const CacheStorage &c, const float *q,
                const int64_t *qPos, int64_t rows, int threads, DecodeScratch &s, float *out,
                int64_t seq = 0);

/// A cache for `layers` layers of spec `a` (which must have cache kernels)
/// holding up to `capacity` tokens (ignored by a ring; for a paged cache the
/// page pool, ceil(capacity / page_size) pages shared by `sequences`
/// sequences, any of which may grow to all of it),
/// whose decode runs on `threads` threads. Null, with `error` set, on bad
/// arguments.
std::unique_ptr<KVCache> makeKVCache(const AttentionKernels &a, int layers, int64_t capacity,
                                     int threads, std::string &error, int64_t sequences = 1);

/// The message for an append status (1 capacity, 2 page, 3 sequence, 4 a
/// quantized token group).
std::string appendStatusMessage(int32_t status, int64_t from, int64_t n, int64_t capacity);

/// Why makeKVCache would refuse these sizes for spec `a` (empty: it would
/// not); shared by the GPU cache (GpuKVCache.h).
std::string cacheRequestError(const AttentionKernels &a, int layers, int64_t capacity, int threads,
                              int64_t sequences);

} // namespace attnc::model

#endif

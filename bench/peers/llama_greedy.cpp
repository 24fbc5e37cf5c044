// Greedy generation with llama.cpp's library, printing what
// `attn-run generate --trace` prints (prompt ids, then per step the chosen id,
// the margin of the best logit over the runner-up and the runner-up), for
// llama_cpp_parity.sh. Built against the llama.cpp that script builds.
//   llama-greedy MODEL N_PREDICT THREADS PROMPT
#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: llama-greedy MODEL N_PREDICT THREADS PROMPT\n");
    return 2;
  }
  const int nPredict = std::atoi(argv[2]), threads = std::atoi(argv[3]);
  const std::string prompt = argv[4];
  llama_backend_init();
  llama_model *model = llama_model_load_from_file(argv[1], llama_model_default_params());
  if (!model) {
    std::fprintf(stderr, "llama-greedy: cannot load %s\n", argv[1]);
    return 1;
  }
  const llama_vocab *vocab = llama_model_get_vocab(model);
  // Same tokenization as attn-run: special tokens added and parsed.
  int n = -llama_tokenize(vocab, prompt.c_str(), prompt.size(), nullptr, 0, true, true);
  std::vector<llama_token> ids(n);
  llama_tokenize(vocab, prompt.c_str(), prompt.size(), ids.data(), n, true, true);
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = n + nPredict + 8;
  cp.n_batch = n;
  cp.n_threads = cp.n_threads_batch = threads;
  llama_context *ctx = llama_init_from_model(model, cp);
  if (!ctx) {
    std::fprintf(stderr, "llama-greedy: cannot create a context\n");
    return 1;
  }
  std::printf("trace: prompt");
  for (llama_token id : ids) std::printf(" %d", id);
  std::printf("\n");
  const int nVocab = llama_vocab_n_tokens(vocab);
  llama_batch_ext *batch = llama_batch_ext_init(ctx);
  std::vector<llama_token> next = ids;
  llama_pos pos = 0;
  for (int step = 0; step < nPredict; ++step) {
    llama_batch_ext_clear(batch);
    int last = 0;
    for (llama_token t : next) {
      last = llama_batch_ext_add_token(batch, 0, t);
      llama_batch_ext_set_pos(batch, last, &pos);
      ++pos;
    }
    llama_batch_ext_set_output_logits(batch, last, true);
    if (llama_process(ctx, LLAMA_PROCESS_TYPE_DECODE, batch)) {
      std::fprintf(stderr, "llama-greedy: decode failed\n");
      return 1;
    }
    const float *logits = llama_get_logits_ith(ctx, -1);
    int best = 0;
    for (int i = 1; i < nVocab; ++i)
      if (logits[i] > logits[best]) best = i;
    int second = best == 0 ? 1 : 0;
    for (int i = 0; i < nVocab; ++i)
      if (i != best && logits[i] > logits[second]) second = i;
    std::printf("trace: step %d token %d margin %.6f second %d\n", step, best,
                logits[best] - logits[second], second);
    if (llama_vocab_is_eog(vocab, best))
      break;
    next = {best};
  }
  llama_batch_ext_free(batch);
  llama_free(ctx);
  llama_model_free(model);
  return 0;
}

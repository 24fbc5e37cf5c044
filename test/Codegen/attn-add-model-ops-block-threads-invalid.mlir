// RUN: attn-opt --attn-add-model-ops="block-threads=48" %s -verify-diagnostics

// RMSNorm's blocks are whole warps (the row's sum is reduced per warp).
// expected-error @+1 {{attn-add-model-ops: block-threads must be a multiple of 32 up to 1024, got 48}}
module {
}

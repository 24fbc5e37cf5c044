// RUN: attn-opt --attn-add-model-ops %s -split-input-file -verify-diagnostics

// A module that already has the model operations (the pass ran twice).
// expected-error @+1 {{the module already defines attnc_model_* functions}}
module {
  func.func @attnc_model_swiglu_rows() {
    return
  }
}

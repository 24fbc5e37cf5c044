//===- AttnInterfaces.td - Attribute interfaces of attn ----*- tablegen -*-===//
#ifndef ATTN_INTERFACES_TD
#define ATTN_INTERFACES_TD

include "mlir/IR/OpBase.td"

// One interface per axis, so an op or attribute parameter can accept "any
// mask" or "any cache layout" and passes can dispatch without a type switch.

def Attn_PositionAttrInterface : AttrInterface<"PositionAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = "A position encoding (NoPE, RoPE, ALiBi, T5 bias).";
  let methods = [
    InterfaceMethod<"True if the encoding rotates queries and keys.",
      "bool", "rotatesQK", (ins), [{}], [{ return false; }]>,
  ];
}

def Attn_RopeScalingAttrInterface : AttrInterface<"RopeScalingAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = "A RoPE frequency / position scaling rule.";
}

def Attn_RopeRemapAttrInterface : AttrInterface<"RopeRemapAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = "A remapping of relative positions (ReRoPE, Self-Extend).";
}

def Attn_MaskAttrInterface : AttrInterface<"MaskAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = [{
    A predicate over (batch, head, query position, key position) saying which
    pairs may meet. Masks compose with `#attn.and`, `#attn.or`, `#attn.not`.
  }];
  let methods = [
    InterfaceMethod<[{
        True if the predicate reads run-time data (document ids, per-batch
        prefix lengths, general predicates over kernel inputs), so block
        classification cannot be decided at compile time.}],
      "bool", "dependsOnRuntimeData", (ins), [{}], [{ return false; }]>,
  ];
}

def Attn_NormalizerAttrInterface : AttrInterface<"NormalizerAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = "How scores are normalized (softmax and its variants).";
}

def Attn_BlockLayoutAttrInterface : AttrInterface<"BlockLayoutAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = "Which key tiles each query tile may visit.";
}

def Attn_CacheAttrInterface : AttrInterface<"CacheAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = "A KV-cache storage layout (contiguous, paged, ring).";
}

def Attn_QuantAttrInterface : AttrInterface<"QuantAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = "A KV-cache quantization scheme.";
  let methods = [
    InterfaceMethod<"Bits per stored element.", "unsigned", "getBits", (ins)>,
  ];
}

#endif // ATTN_INTERFACES_TD

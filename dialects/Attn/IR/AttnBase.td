//===- AttnBase.td - The attn dialect ----------------------*- tablegen -*-===//
#ifndef ATTN_BASE_TD
#define ATTN_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Declarative attention variants and the kernels built from them";
  let description = [{
    The `attn` dialect describes one attention variant along four axes —
    position encoding, mask (which query/key pairs meet), block sparsity and
    KV-cache layout — as attributes on an `attn.variant` symbol, and the
    computations a kernel library exposes (RoPE application, attention, cache
    append and cache read) as ops that refer to that symbol. General mask
    predicates and score modifications are regions of the variant, written
    with `arith`/`math` ops over the (batch, head, query, key) indices.

    The exact numerics of every attribute are defined in `docs/semantics.md`.
  }];
  let extraClassDeclaration = [{
    // Defined next to the storage classes they need (AttnAttrs.cpp, AttnTypes.cpp).
    void registerAttributes();
    void registerTypes();
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];
}

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Attn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

class Attn_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Attn_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

// Reals are stored as f64 FloatAttr / DenseF64ArrayAttr (uniqued, hashable)
// and printed bare with MLIR's round-trippable float printer
// (`theta = 5.000000e+05`), so a text round trip never loses digits.
class Attn_DoubleParameter<string desc> : AttrParameter<"::mlir::FloatAttr", desc> {
  let printer = "::mlir::attn::printDouble($_printer, $_self)";
  let parser = "::mlir::attn::parseDouble($_parser)";
}
class Attn_DoubleArrayParameter<string desc>
    : AttrParameter<"::mlir::DenseF64ArrayAttr", desc> {
  let printer = "::mlir::attn::printDoubleList($_printer, $_self)";
  let parser = "::mlir::attn::parseDoubleList($_parser)";
}
class Attn_IntArrayParameter<string desc> : ArrayRefParameter<"int64_t", desc> {
  let printer = "::mlir::attn::printIntList($_printer, $_self)";
  let parser = "::mlir::attn::parseIntList($_parser)";
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Attn_RopeLayout : I32EnumAttr<"RopeLayout", "pairing of rotated dimensions", [
    I32EnumAttrCase<"HalfSplit", 0, "half_split">,
    I32EnumAttrCase<"Interleaved", 1, "interleaved">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_RopeLayoutAttr : EnumAttr<Attn_Dialect, Attn_RopeLayout, "rope_layout">;

def Attn_RopeApply : I32EnumAttr<"RopeApply", "when keys are rotated", [
    I32EnumAttrCase<"OnWrite", 0, "on_write">,
    I32EnumAttrCase<"OnRead", 1, "on_read">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_RopeApplyAttr : EnumAttr<Attn_Dialect, Attn_RopeApply, "rope_apply">;

def Attn_CacheLayout : I32EnumAttr<"CacheLayout", "token-major or head-major KV storage", [
    I32EnumAttrCase<"NHD", 0, "nhd">,
    I32EnumAttrCase<"HND", 1, "hnd">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_CacheLayoutAttr : EnumAttr<Attn_Dialect, Attn_CacheLayout, "cache_layout">;

def Attn_Granularity : I32EnumAttr<"Granularity", "what one quantization scale covers", [
    I32EnumAttrCase<"PerToken", 0, "per_token">,
    I32EnumAttrCase<"PerChannel", 1, "per_channel">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_GranularityAttr : EnumAttr<Attn_Dialect, Attn_Granularity, "granularity">;

def Attn_FP8Format : I32EnumAttr<"FP8Format", "8-bit float encoding", [
    I32EnumAttrCase<"E4M3", 0, "e4m3">,
    I32EnumAttrCase<"E5M2", 1, "e5m2">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_FP8FormatAttr : EnumAttr<Attn_Dialect, Attn_FP8Format, "fp8_format">;

def Attn_RopeOperand : I32EnumAttr<"RopeOperand", "which tensor attn.rope rotates", [
    I32EnumAttrCase<"Query", 0, "query">,
    I32EnumAttrCase<"Key", 1, "key">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_RopeOperandAttr : EnumAttr<Attn_Dialect, Attn_RopeOperand, "rope_operand">;

#endif // ATTN_BASE_TD

// RUN: attn-opt %s -split-input-file -verify-diagnostics
//
// Verifier and parser failures of the attn attributes and of !attn.kv_cache,
// one per split. Attributes are attached to a function declaration so each is
// checked on its own; checks that need the whole variant are in invalid.mlir.

// expected-error @+1 {{rope theta must be a finite number > 0, got 0.000000e+00}}
func.func private @case1() attributes {a = #attn.rope<theta = 0.0, rotary_dim = 64, layout = half_split, apply = on_write>}

// -----

// expected-error @+1 {{rope theta must be a finite number > 0, got -1.000000e+04}}
func.func private @case2() attributes {a = #attn.rope<theta = -10000.0, rotary_dim = 64, layout = half_split, apply = on_write>}

// -----

// expected-error @+1 {{rope theta must be a finite number > 0, got INF}}
func.func private @case3() attributes {a = #attn.rope<theta = 0x7FF0000000000000, rotary_dim = 64, layout = half_split, apply = on_write>}

// -----

// expected-error @+1 {{rope theta must be a finite number > 0, got nan}}
func.func private @case4() attributes {a = #attn.rope<theta = 0x7FF8000000000000, rotary_dim = 64, layout = half_split, apply = on_write>}

// -----

// expected-error @+1 {{rotary_dim must be >= 2, got 0}}
func.func private @case5() attributes {a = #attn.rope<theta = 10000.0, rotary_dim = 0, layout = half_split, apply = on_write>}

// -----

// expected-error @+1 {{rotary_dim must be even, got 63}}
func.func private @case6() attributes {a = #attn.rope<theta = 10000.0, rotary_dim = 63, layout = half_split, apply = on_write>}

// -----

// expected-error @+1 {{a position remap needs keys rotated on read (apply = on_read): a pre-rotated key cannot serve every query}}
func.func private @case7() attributes {a = #attn.rope<theta = 10000.0, rotary_dim = 64, layout = half_split, apply = on_write, remap = #attn.rerope<window = 512, log_scale_base = 0.0>>}

// -----

// expected-error @+1 {{a position remap needs keys rotated on read}}
func.func private @case8() attributes {a = #attn.rope<theta = 10000.0, rotary_dim = 64, layout = half_split, apply = on_write, remap = #attn.self_extend<group = 8, window = 1024>>}

// -----

// expected-error @+2 {{expected ::mlir::attn::RopeLayout to be one of: half_split, interleaved}}
// expected-error @+1 {{failed to parse Attn_RopeAttr parameter 'layout' which is to be a `::mlir::attn::RopeLayout`}}
func.func private @case9() attributes {a = #attn.rope<theta = 10000.0, rotary_dim = 64, layout = diagonal, apply = on_write>}

// -----

// expected-error @+2 {{expected ::mlir::attn::RopeApply to be one of: on_write, on_read}}
// expected-error @+1 {{failed to parse Attn_RopeAttr parameter 'apply' which is to be a `::mlir::attn::RopeApply`}}
func.func private @case10() attributes {a = #attn.rope<theta = 10000.0, rotary_dim = 64, layout = half_split, apply = never>}

// -----

// expected-error @+2 {{invalid kind of attribute specified}}
// expected-error @+1 {{failed to parse Attn_RopeAttr parameter 'scaling' which is to be a `::mlir::attn::RopeScalingAttrInterface`}}
func.func private @case11() attributes {a = #attn.rope<theta = 10000.0, rotary_dim = 64, layout = half_split, apply = on_read, scaling = #attn.rerope<window = 4, log_scale_base = 0.0>>}

// -----

// expected-error @+3 {{unexpected decimal integer literal for a floating point value}}
// expected-error @+2 {{failed to parse Attn_RopeAttr parameter 'theta' which is to be a `::mlir::FloatAttr`}}
// expected-note @+1 {{add a trailing dot to make the literal a float}}
func.func private @case12() attributes {a = #attn.rope<theta = 10000, rotary_dim = 64, layout = half_split, apply = on_write>}

// -----

// expected-error @+1 {{struct is missing required parameter: rotary_dim}}
func.func private @case13() attributes {a = #attn.rope<theta = 10000.0, layout = half_split, apply = on_write>}

// -----

// expected-error @+1 {{alibi max_bias must be a finite number > 0, got 0.000000e+00}}
func.func private @case14() attributes {a = #attn.alibi<max_bias = 0.0, slopes = [1.0]>}

// -----

// expected-error @+1 {{alibi needs one slope per query head}}
func.func private @case15() attributes {a = #attn.alibi<max_bias = 8.0, slopes = []>}

// -----

// expected-error @+1 {{alibi slopes must be finite}}
func.func private @case16() attributes {a = #attn.alibi<max_bias = 8.0, slopes = [0.5, 0x7FF0000000000000]>}

// -----

// expected-error @+1 {{alibi slopes must be finite}}
func.func private @case17() attributes {a = #attn.alibi<max_bias = 8.0, slopes = [0x7FF8000000000000]>}

// -----

// expected-error @+1 {{t5_bias needs a table input}}
func.func private @case18() attributes {a = #attn.t5_bias<table = "", buckets = 32, max_distance = 128, bidirectional = false>}

// -----

// expected-error @+1 {{t5_bias buckets must be >= 2, got 1}}
func.func private @case19() attributes {a = #attn.t5_bias<table = "rel", buckets = 1, max_distance = 128, bidirectional = false>}

// -----

// expected-error @+1 {{t5_bias buckets must be >= 4, got 3}}
func.func private @case20() attributes {a = #attn.t5_bias<table = "rel", buckets = 3, max_distance = 128, bidirectional = true>}

// -----

// expected-error @+1 {{t5_bias max_distance must be >= 1, got 0}}
func.func private @case21() attributes {a = #attn.t5_bias<table = "rel", buckets = 32, max_distance = 0, bidirectional = false>}

// -----

// expected-error @+1 {{bidirectional t5_bias needs an even bucket count, got 33}}
func.func private @case22() attributes {a = #attn.t5_bias<table = "rel", buckets = 33, max_distance = 128, bidirectional = true>}

// -----

// expected-error @+2 {{expected 'true' or 'false'}}
// expected-error @+1 {{failed to parse Attn_T5BiasAttr parameter 'bidirectional' which is to be a `bool`}}
func.func private @case23() attributes {a = #attn.t5_bias<table = "rel", buckets = 32, max_distance = 128, bidirectional = 1>}

// -----

// expected-error @+1 {{linear scaling factor must be a finite number > 0, got 0.000000e+00}}
func.func private @case24() attributes {a = #attn.linear<factor = 0.0>}

// -----

// expected-error @+1 {{ntk scaling factor must be a finite number > 0, got -2.000000e+00}}
func.func private @case25() attributes {a = #attn.ntk<factor = -2.0>}

// -----

// expected-error @+1 {{dynamic_ntk factor must be a finite number > 0, got 0.000000e+00}}
func.func private @case26() attributes {a = #attn.dynamic_ntk<factor = 0.0, original_context = 4096>}

// -----

// expected-error @+1 {{dynamic_ntk original_context must be >= 1, got 0}}
func.func private @case27() attributes {a = #attn.dynamic_ntk<factor = 2.0, original_context = 0>}

// -----

// expected-error @+1 {{yarn factor must be a finite number > 0, got 0.000000e+00}}
func.func private @case28() attributes {a = #attn.yarn<factor = 0.0, original_context = 4096, beta_fast = 32.0, beta_slow = 1.0, attention_factor = 1.1>}

// -----

// expected-error @+1 {{yarn original_context must be >= 1, got 0}}
func.func private @case29() attributes {a = #attn.yarn<factor = 4.0, original_context = 0, beta_fast = 32.0, beta_slow = 1.0, attention_factor = 1.1>}

// -----

// expected-error @+1 {{yarn beta_slow must be a finite number > 0, got 0.000000e+00}}
func.func private @case30() attributes {a = #attn.yarn<factor = 4.0, original_context = 4096, beta_fast = 32.0, beta_slow = 0.0, attention_factor = 1.1>}

// -----

// expected-error @+1 {{yarn attention_factor must be a finite number > 0, got -1.000000e+00}}
func.func private @case31() attributes {a = #attn.yarn<factor = 4.0, original_context = 4096, beta_fast = 32.0, beta_slow = 1.0, attention_factor = -1.0>}

// -----

// expected-error @+1 {{yarn beta_fast (1.000000e+00) must exceed beta_slow (3.200000e+01)}}
func.func private @case32() attributes {a = #attn.yarn<factor = 4.0, original_context = 4096, beta_fast = 1.0, beta_slow = 32.0, attention_factor = 1.1>}

// -----

// expected-error @+1 {{yarn beta_fast (2.000000e+00) must exceed beta_slow (2.000000e+00)}}
func.func private @case33() attributes {a = #attn.yarn<factor = 4.0, original_context = 4096, beta_fast = 2.0, beta_slow = 2.0, attention_factor = 1.1>}

// -----

// expected-error @+1 {{llama3 factor must be a finite number > 0, got 0.000000e+00}}
func.func private @case34() attributes {a = #attn.llama3<factor = 0.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_context = 8192>}

// -----

// expected-error @+1 {{llama3 low_freq_factor must be a finite number > 0, got 0.000000e+00}}
func.func private @case35() attributes {a = #attn.llama3<factor = 8.0, low_freq_factor = 0.0, high_freq_factor = 4.0, original_context = 8192>}

// -----

// expected-error @+1 {{llama3 original_context must be >= 1, got 0}}
func.func private @case36() attributes {a = #attn.llama3<factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_context = 0>}

// -----

// expected-error @+1 {{llama3 high_freq_factor (1.000000e+00) must exceed low_freq_factor (4.000000e+00)}}
func.func private @case37() attributes {a = #attn.llama3<factor = 8.0, low_freq_factor = 4.0, high_freq_factor = 1.0, original_context = 8192>}

// -----

// expected-error @+1 {{longrope short_factor and long_factor must be non-empty and of equal length, got 0 and 0}}
func.func private @case38() attributes {a = #attn.longrope<short_factor = [], long_factor = [], original_context = 4096, max_context = 131072, attention_factor = 1.19>}

// -----

// expected-error @+1 {{longrope short_factor and long_factor must be non-empty and of equal length, got 2 and 3}}
func.func private @case39() attributes {a = #attn.longrope<short_factor = [1.0, 1.5], long_factor = [2.0, 3.0, 4.0], original_context = 4096, max_context = 131072, attention_factor = 1.19>}

// -----

// expected-error @+1 {{longrope factor must be a finite number > 0, got 0.000000e+00}}
func.func private @case40() attributes {a = #attn.longrope<short_factor = [1.0, 0.0], long_factor = [2.0, 3.0], original_context = 4096, max_context = 131072, attention_factor = 1.19>}

// -----

// expected-error @+1 {{longrope factor must be a finite number > 0, got -3.000000e+00}}
func.func private @case41() attributes {a = #attn.longrope<short_factor = [1.0, 1.5], long_factor = [2.0, -3.0], original_context = 4096, max_context = 131072, attention_factor = 1.19>}

// -----

// expected-error @+1 {{longrope original_context must be >= 1, got 0}}
func.func private @case42() attributes {a = #attn.longrope<short_factor = [1.0, 1.5], long_factor = [2.0, 3.0], original_context = 0, max_context = 131072, attention_factor = 1.19>}

// -----

// expected-error @+1 {{longrope max_context must be >= 1, got 0}}
func.func private @case43() attributes {a = #attn.longrope<short_factor = [1.0, 1.5], long_factor = [2.0, 3.0], original_context = 4096, max_context = 0, attention_factor = 1.19>}

// -----

// expected-error @+1 {{longrope attention_factor must be a finite number > 0, got 0.000000e+00}}
func.func private @case44() attributes {a = #attn.longrope<short_factor = [1.0, 1.5], long_factor = [2.0, 3.0], original_context = 4096, max_context = 131072, attention_factor = 0.0>}

// -----

// expected-error @+1 {{rerope window must be >= 1, got 0}}
func.func private @case45() attributes {a = #attn.rerope<window = 0, log_scale_base = 0.0>}

// -----

// expected-error @+1 {{rerope log_scale_base must be 0 (off) or > 1, got 5.000000e-01}}
func.func private @case46() attributes {a = #attn.rerope<window = 512, log_scale_base = 0.5>}

// -----

// expected-error @+1 {{rerope log_scale_base must be 0 (off) or > 1, got 1.000000e+00}}
func.func private @case47() attributes {a = #attn.rerope<window = 512, log_scale_base = 1.0>}

// -----

// expected-error @+1 {{self_extend group must be >= 1, got 0}}
func.func private @case48() attributes {a = #attn.self_extend<group = 0, window = 1024>}

// -----

// expected-error @+1 {{self_extend window must be >= 1, got 0}}
func.func private @case49() attributes {a = #attn.self_extend<group = 8, window = 0>}

// -----

// expected-error @+1 {{window left extent must be >= 1, got 0}}
func.func private @case50() attributes {a = #attn.window<left = 0, right = 0>}

// -----

// expected-error @+1 {{window right extent must be >= 0, got -1}}
func.func private @case51() attributes {a = #attn.window<left = 128, right = -1>}

// -----

// expected-error @+1 {{sink count must be >= 1, got 0}}
func.func private @case52() attributes {a = #attn.sinks<count = 0>}

// -----

// expected-error @+1 {{dilated window must be >= 1, got 0}}
func.func private @case53() attributes {a = #attn.dilated<window = 0, dilation = 2, offset = 0>}

// -----

// expected-error @+1 {{dilation must be >= 1, got 0}}
func.func private @case54() attributes {a = #attn.dilated<window = 64, dilation = 0, offset = 0>}

// -----

// expected-error @+1 {{dilated offset must be in [0, 4), got 4}}
func.func private @case55() attributes {a = #attn.dilated<window = 64, dilation = 4, offset = 4>}

// -----

// expected-error @+1 {{dilated offset must be in [0, 4), got -1}}
func.func private @case56() attributes {a = #attn.dilated<window = 64, dilation = 4, offset = -1>}

// -----

// expected-error @+1 {{global first must be >= 0, got -1}}
func.func private @case57() attributes {a = #attn.global<first = -1, tokens = [0]>}

// -----

// expected-error @+1 {{global mask names no token}}
func.func private @case58() attributes {a = #attn.global<first = 0, tokens = []>}

// -----

// expected-error @+1 {{global token positions must be >= 0, got -3}}
func.func private @case59() attributes {a = #attn.global<first = 2, tokens = [5, -3]>}

// -----

// expected-error @+2 {{expected integer value}}
// expected-error @+1 {{failed to parse Attn_GlobalMaskAttr parameter 'tokens' which is to be a `::llvm::ArrayRef<int64_t>`}}
func.func private @case60() attributes {a = #attn.global<first = 2, tokens = [1.5]>}

// -----

// expected-error @+1 {{document mask needs an ids input}}
func.func private @case61() attributes {a = #attn.document<ids = "">}

// -----

// expected-error @+1 {{prefix_lm length must be >= 1, got 0}}
func.func private @case62() attributes {a = #attn.prefix_lm<length = 0, input = "">}

// -----

// expected-error @+1 {{prefix_lm length must be >= 0, got -1}}
func.func private @case63() attributes {a = #attn.prefix_lm<length = -1, input = "plen">}

// -----

// expected-error @+1 {{chunk size must be >= 1, got 0}}
func.func private @case64() attributes {a = #attn.chunked<size = 0, offset = 0>}

// -----

// expected-error @+1 {{chunk offset must be >= 0, got -5}}
func.func private @case65() attributes {a = #attn.chunked<size = 128, offset = -5>}

// -----

// expected-error @+1 {{predicate region number must be >= 0, got -1}}
func.func private @case66() attributes {a = #attn.predicate<region = -1>}

// -----

// expected-error @+1 {{#attn.and needs at least two masks, got 1}}
func.func private @case67() attributes {a = #attn.and<operands = [#attn.causal]>}

// -----

// expected-error @+1 {{#attn.or needs at least two masks, got 0}}
func.func private @case68() attributes {a = #attn.or<operands = []>}

// -----

// expected-error @+1 {{#attn.and operand is not a mask: 1 : i64}}
func.func private @case69() attributes {a = #attn.and<operands = [#attn.causal, 1 : i64]>}

// -----

// expected-error @+1 {{#attn.or operand is not a mask: #attn.softmax}}
func.func private @case70() attributes {a = #attn.or<operands = [#attn.sinks<count = 4>, #attn.softmax]>}

// -----

// expected-error @+2 {{invalid kind of attribute specified}}
// expected-error @+1 {{failed to parse Attn_NotMaskAttr parameter 'operand' which is to be a `::mlir::attn::MaskAttrInterface`}}
func.func private @case71() attributes {a = #attn.not<operand = #attn.tiles<q = 64, k = 64>>}

// -----

// expected-error @+1 {{head range [4, 4) is empty or negative}}
func.func private @case72() attributes {a = #attn.head_mask<head_begin = 4, head_end = 4, mask = #attn.causal>}

// -----

// expected-error @+1 {{head range [-1, 4) is empty or negative}}
func.func private @case73() attributes {a = #attn.head_mask<head_begin = -1, head_end = 4, mask = #attn.causal>}

// -----

// expected-error @+2 {{invalid kind of attribute specified}}
// expected-error @+1 {{failed to parse Attn_HeadMaskAttr parameter 'mask' which is to be a `::mlir::attn::MaskAttrInterface`}}
func.func private @case74() attributes {a = #attn.head_mask<head_begin = 0, head_end = 4, mask = #attn.nope>}

// -----

// expected-error @+1 {{head range [2, 1) is empty or negative}}
func.func private @case75() attributes {a = #attn.head_score<head_begin = 2, head_end = 1, region = 0>}

// -----

// expected-error @+1 {{score region number must be >= 0, got -2}}
func.func private @case76() attributes {a = #attn.head_score<head_begin = 0, head_end = 4, region = -2>}

// -----

// expected-error @+1 {{softmax_sinks needs a sinks input}}
func.func private @case77() attributes {a = #attn.softmax_sinks<sinks = "">}

// -----

// expected-error @+1 {{tile sizes must be powers of two in [8, 256], got 48}}
func.func private @case78() attributes {a = #attn.tiles<q = 48, k = 64>}

// -----

// expected-error @+1 {{tile sizes must be powers of two in [8, 256], got 512}}
func.func private @case79() attributes {a = #attn.tiles<q = 64, k = 512>}

// -----

// expected-error @+1 {{tile sizes must be powers of two in [8, 256], got 4}}
func.func private @case80() attributes {a = #attn.tiles<q = 4, k = 64>}

// -----

// expected-error @+1 {{sliding_blocks window must be >= 1, got 0}}
func.func private @case81() attributes {a = #attn.sliding_blocks<window = 0, global = 1>}

// -----

// expected-error @+1 {{sliding_blocks global must be >= 0, got -1}}
func.func private @case82() attributes {a = #attn.sliding_blocks<window = 3, global = -1>}

// -----

// expected-error @+1 {{bigbird window must be >= 1, got 0}}
func.func private @case83() attributes {a = #attn.bigbird<window = 0, global = 2, random = 3, seed = 0>}

// -----

// expected-error @+1 {{bigbird global must be >= 0, got -1}}
func.func private @case84() attributes {a = #attn.bigbird<window = 3, global = -1, random = 3, seed = 0>}

// -----

// expected-error @+1 {{bigbird random must be >= 0, got -1}}
func.func private @case85() attributes {a = #attn.bigbird<window = 3, global = 2, random = -1, seed = 0>}

// -----

// expected-error @+1 {{bigbird seed must be >= 0, got -7}}
func.func private @case86() attributes {a = #attn.bigbird<window = 3, global = 2, random = 3, seed = -7>}

// -----

// expected-error @+1 {{dynamic top_k must be >= 1, got 0}}
func.func private @case87() attributes {a = #attn.dynamic_blocks<top_k = 0>}

// -----

// expected-error @+1 {{int4 group must be a power of two >= 2, got 24}}
func.func private @case88() attributes {a = #attn.int4<group = 24, keys = per_channel, values = per_token>}

// -----

// expected-error @+1 {{int4 group must be a power of two >= 2, got 1}}
func.func private @case89() attributes {a = #attn.int4<group = 1, keys = per_channel, values = per_token>}

// -----

// expected-error @+2 {{expected ::mlir::attn::Granularity to be one of: per_token, per_channel}}
// expected-error @+1 {{failed to parse Attn_Int8QuantAttr parameter 'granularity' which is to be a `::mlir::attn::Granularity`}}
func.func private @case90() attributes {a = #attn.int8<granularity = per_row>}

// -----

// expected-error @+2 {{expected ::mlir::attn::FP8Format to be one of: e4m3, e5m2}}
// expected-error @+1 {{failed to parse Attn_FP8QuantAttr parameter 'format' which is to be a `::mlir::attn::FP8Format`}}
func.func private @case91() attributes {a = #attn.fp8<format = e3m4, granularity = per_token>}

// -----

// expected-error @+1 {{contiguous capacity must be >= 0, got -1}}
func.func private @case92() attributes {a = #attn.contiguous<layout = nhd, capacity = -1>}

// -----

// expected-error @+2 {{expected ::mlir::attn::CacheLayout to be one of: nhd, hnd}}
// expected-error @+1 {{failed to parse Attn_ContiguousCacheAttr parameter 'layout' which is to be a `::mlir::attn::CacheLayout`}}
func.func private @case93() attributes {a = #attn.contiguous<layout = bhsd, capacity = 0>}

// -----

// expected-error @+1 {{page_size must be a power of two, got 24}}
func.func private @case94() attributes {a = #attn.paged<page_size = 24, layout = nhd>}

// -----

// expected-error @+1 {{page_size must be a power of two, got 0}}
func.func private @case95() attributes {a = #attn.paged<page_size = 0, layout = hnd>}

// -----

// expected-error @+2 {{invalid kind of attribute specified}}
// expected-error @+1 {{failed to parse Attn_PagedCacheAttr parameter 'quant' which is to be a `::mlir::attn::QuantAttrInterface`}}
func.func private @case96() attributes {a = #attn.paged<page_size = 16, layout = nhd, quant = #attn.tiles<q = 64, k = 64>>}

// -----

// expected-error @+1 {{ring sinks must be >= 0, got -1}}
func.func private @case97() attributes {a = #attn.ring<sinks = -1, window = 1020>}

// -----

// expected-error @+1 {{ring window must be >= 1, got 0}}
func.func private @case98() attributes {a = #attn.ring<sinks = 4, window = 0>}

// -----

// expected-error @+1 {{kernel input needs a name}}
func.func private @case99() attributes {a = #attn.input<name = "", dtype = i32, dims = ["tokens"]>}

// -----

// expected-error @+1 {{kernel input 'doc' must have an integer or float element type}}
func.func private @case100() attributes {a = #attn.input<name = "doc", dtype = index, dims = ["tokens"]>}

// -----

// expected-error @+1 {{kernel input 'doc' must have an integer or float element type}}
func.func private @case101() attributes {a = #attn.input<name = "doc", dtype = si32, dims = ["tokens"]>}

// -----

// expected-error @+1 {{kernel input 'doc' must have one or two dimensions}}
func.func private @case102() attributes {a = #attn.input<name = "doc", dtype = i32, dims = []>}

// -----

// expected-error @+1 {{kernel input 't' must have one or two dimensions}}
func.func private @case103() attributes {a = #attn.input<name = "t", dtype = f32, dims = ["heads", "tokens", "tokens"]>}

// -----

// expected-error @+1 {{kernel input dimensions are strings, got 128 : i64}}
func.func private @case104() attributes {a = #attn.input<name = "doc", dtype = i32, dims = [128]>}

// -----

// expected-error @+1 {{heads must be >= 1, got 0}}
func.func private @case105() attributes {a = #attn.shape<heads = 0, kv_heads = 8, head_dim = 128, value_dim = 128>}

// -----

// expected-error @+1 {{kv_heads must be >= 1, got 0}}
func.func private @case106() attributes {a = #attn.shape<heads = 32, kv_heads = 0, head_dim = 128, value_dim = 128>}

// -----

// expected-error @+1 {{head_dim must be >= 1, got 0}}
func.func private @case107() attributes {a = #attn.shape<heads = 32, kv_heads = 8, head_dim = 0, value_dim = 128>}

// -----

// expected-error @+1 {{value_dim must be >= 1, got -1}}
func.func private @case108() attributes {a = #attn.shape<heads = 32, kv_heads = 8, head_dim = 128, value_dim = -1>}

// -----

// expected-error @+1 {{kv_heads (3) must divide heads (32)}}
func.func private @case109() attributes {a = #attn.shape<heads = 32, kv_heads = 3, head_dim = 128, value_dim = 128>}

// -----

// expected-error @+1 {{kv_heads (16) must divide heads (8)}}
func.func private @case110() attributes {a = #attn.shape<heads = 8, kv_heads = 16, head_dim = 128, value_dim = 128>}

// -----

// expected-error @+1 {{element type of q must be f32, f16 or bf16, got 'f64'}}
func.func private @case111() attributes {a = #attn.types<q = f64, k = bf16, v = bf16, out = bf16, accum = f32>}

// -----

// expected-error @+1 {{element type of k must be f32, f16 or bf16, got 'i8'}}
func.func private @case112() attributes {a = #attn.types<q = bf16, k = i8, v = bf16, out = bf16, accum = f32>}

// -----

// expected-error @+1 {{element type of v must be f32, f16 or bf16, got 'f8E4M3FN'}}
func.func private @case113() attributes {a = #attn.types<q = bf16, k = bf16, v = f8E4M3FN, out = bf16, accum = f32>}

// -----

// expected-error @+1 {{element type of out must be f32, f16 or bf16, got 'i32'}}
func.func private @case114() attributes {a = #attn.types<q = bf16, k = bf16, v = bf16, out = i32, accum = f32>}

// -----

// expected-error @+1 {{accumulation type must be f32, got 'f16'}}
func.func private @case115() attributes {a = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = f16>}

// -----

// expected-error @+1 {{accumulation type must be f32, got 'bf16'}}
func.func private @case116() attributes {a = #attn.types<q = bf16, k = bf16, v = bf16, out = bf16, accum = bf16>}

// -----

// expected-error @+1 {{kv_cache dimensions must be >= 1, got kv_heads = 0, head_dim = 128, value_dim = 128}}
func.func private @case117(!attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>, kv_heads = 0, head_dim = 128, value_dim = 128, k = bf16, v = bf16>)

// -----

// expected-error @+1 {{kv_cache dimensions must be >= 1, got kv_heads = 8, head_dim = 0, value_dim = 128}}
func.func private @case118(!attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>, kv_heads = 8, head_dim = 0, value_dim = 128, k = bf16, v = bf16>)

// -----

// expected-error @+1 {{kv_cache dimensions must be >= 1, got kv_heads = 8, head_dim = 128, value_dim = -4}}
func.func private @case119(!attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>, kv_heads = 8, head_dim = 128, value_dim = -4, k = bf16, v = bf16>)

// -----

// expected-error @+1 {{kv_cache element types must be f32, f16 or bf16, got 'i8'}}
func.func private @case120(!attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>, kv_heads = 8, head_dim = 128, value_dim = 128, k = i8, v = bf16>)

// -----

// expected-error @+1 {{kv_cache element types must be f32, f16 or bf16, got 'f64'}}
func.func private @case121(!attn.kv_cache<layout = #attn.paged<page_size = 16, layout = nhd>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = f64>)

// -----

// expected-error @+2 {{invalid kind of attribute specified}}
// expected-error @+1 {{failed to parse Attn_KVCacheType parameter 'layout' which is to be a `::mlir::attn::CacheAttrInterface`}}
func.func private @case122(!attn.kv_cache<layout = #attn.causal, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>)

// -----

// expected-error @+2 {{page_size must be a power of two, got 12}}
// expected-error @+1 {{failed to parse Attn_KVCacheType parameter 'layout' which is to be a `::mlir::attn::CacheAttrInterface`}}
func.func private @case123(!attn.kv_cache<layout = #attn.paged<page_size = 12, layout = nhd>, kv_heads = 8, head_dim = 128, value_dim = 128, k = bf16, v = bf16>)

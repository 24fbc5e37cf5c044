// RUN: attn-opt --show-dialects | FileCheck %s --check-prefix=HEADER
// RUN: attn-opt --show-dialects | tr ', ' '\n\n' | FileCheck %s
//
// attn-opt registers the attn dialect and the dialects its expression regions
// and kernel signatures use (the list is split one name per line so each name
// is matched whole).

// HEADER: Available Dialects: {{.*}}attn

// CHECK-DAG: {{^}}arith{{$}}
// CHECK-DAG: {{^}}attn{{$}}
// CHECK-DAG: {{^}}func{{$}}
// CHECK-DAG: {{^}}math{{$}}
// CHECK-DAG: {{^}}tensor{{$}}

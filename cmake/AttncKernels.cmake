# attnc_add_kernel_library(NAME SPECS a.attn [b.attn ...] [MCPU cpu]
#                          [GPU_ARCHS sm_80 sm_90] [NO_AMX])
#
# Compiles the specs ahead of time with `attnc build` into lib<NAME>.a and
# <NAME>.h (in ${CMAKE_CURRENT_BINARY_DIR}/<NAME>) and defines the library
# target NAME, which carries the include directory: link it and
# #include "<NAME>.h". Rebuilt when a spec or attnc changes. MCPU defaults to
# "native" (the build machine's CPU and features); pass e.g. x86-64-v3 for
# portable binaries. NO_AMX keeps bf16 prefill products on AVX-512 FMAs where
# the target has AMX-BF16 (for comparisons). GPU_ARCHS also builds the GPU kernels (needs ptxas at
# build time, only the CUDA driver at run time) as the target NAME_gpu:
# #include "<NAME>_gpu.h" (docs/kernels.md, "GPU kernels"). Works in-tree (the
# attnc target) or with an installed attnc found on PATH.
function(attnc_add_kernel_library name)
  cmake_parse_arguments(ARG "NO_AMX" "MCPU" "SPECS;GPU_ARCHS" ${ARGN})
  if(NOT ARG_SPECS)
    message(FATAL_ERROR "attnc_add_kernel_library(${name}): no SPECS given")
  endif()
  if(NOT ARG_MCPU)
    set(ARG_MCPU native)
  endif()
  if(TARGET attnc)
    set(attnc_exe $<TARGET_FILE:attnc>)
    set(attnc_dep attnc)
  else()
    find_program(ATTNC_EXECUTABLE attnc REQUIRED)
    set(attnc_exe ${ATTNC_EXECUTABLE})
    set(attnc_dep)
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name})
  file(MAKE_DIRECTORY ${out})
  set(specs)
  foreach(s ${ARG_SPECS})
    get_filename_component(abs ${s} ABSOLUTE)
    list(APPEND specs ${abs})
  endforeach()
  set(outputs ${out}/lib${name}.a ${out}/${name}.h)
  set(gpu_args)
  if(ARG_GPU_ARCHS)
    string(REPLACE ";" "," archs "${ARG_GPU_ARCHS}")
    set(gpu_args --gpu-arch ${archs})
    list(APPEND outputs ${out}/lib${name}_gpu.a ${out}/${name}_gpu.h)
  endif()
  if(ARG_NO_AMX)
    list(APPEND gpu_args --no-amx)
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${attnc_exe} build ${specs} -o ${out} --name ${name} --no-shared --mcpu ${ARG_MCPU} ${gpu_args}
    DEPENDS ${specs} ${attnc_dep}
    COMMENT "attnc: building kernel library ${name}"
    VERBATIM)
  add_custom_target(${name}_generate DEPENDS ${outputs})
  add_library(${name} STATIC IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES
    IMPORTED_LOCATION ${out}/lib${name}.a
    INTERFACE_INCLUDE_DIRECTORIES ${out}
    INTERFACE_LINK_LIBRARIES m)
  add_dependencies(${name} ${name}_generate)
  if(ARG_GPU_ARCHS)
    add_library(${name}_gpu STATIC IMPORTED GLOBAL)
    set_target_properties(${name}_gpu PROPERTIES
      IMPORTED_LOCATION ${out}/lib${name}_gpu.a
      INTERFACE_INCLUDE_DIRECTORIES ${out}
      INTERFACE_LINK_LIBRARIES "${CMAKE_DL_LIBS};pthread")
    add_dependencies(${name}_gpu ${name}_generate)
  endif()
endfunction()

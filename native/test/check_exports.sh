#!/bin/sh
# Fails unless the only symbol the library defines in its dynamic symbol table is JNI_OnLoad.
set -eu
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort)
echo "defined dynamic symbols of $lib: $syms"
[ "$syms" = "JNI_OnLoad" ]

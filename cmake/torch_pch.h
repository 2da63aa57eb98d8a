// Precompiled once and shared by every target: LibTorch's headers cost ~20 s per translation unit.
#pragma once
#include <torch/torch.h>

#pragma once
/// \file Everything in strata.
///
///     #include <strata/strata.hpp>
///     namespace st = strata;

#include "strata/core/dims.hpp"
#include "strata/core/error.hpp"
#include "strata/core/shape.hpp"
#include "strata/tensor/tensor.hpp"
#include "strata/tensor/format.hpp"
#include "strata/expr/node.hpp"
#include "strata/expr/broadcast.hpp"
#include "strata/expr/elementwise.hpp"
#include "strata/expr/materialized.hpp"
#include "strata/expr/ops/elementwise_unary.hpp"
#include "strata/expr/ops/elementwise_binary.hpp"
#include "strata/expr/ops/reduce.hpp"
#include "strata/expr/ops/softmax.hpp"
#include "strata/expr/ops/matmul.hpp"
#include "strata/expr/ops/reshape.hpp"
#include "strata/expr/ops/activation.hpp"
#include "strata/expr/ops/gather.hpp"
#include "strata/expr/ops/cond.hpp"
#include "strata/expr/ops/dropout.hpp"
#include "strata/eval/evaluate.hpp"
#include "strata/autodiff/value_and_grad.hpp"
#include "strata/autodiff/gradcheck.hpp"

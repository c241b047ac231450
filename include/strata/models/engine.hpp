#pragma once
/// \file The model engine: a static graph of layer nodes, run in topological order by a fold over
/// the node list. strata::Model (functional.hpp) and strata::Sequential are front ends of it.
///
/// Each node type keeps one instance per place it occurs in the model (usually one; two parallel
/// `Dense<4>` on one input are one node type with two). Each layer's call expression is evaluated
/// into a buffer the engine owns and reused from step to step, so a steady-state step allocates
/// nothing; backward runs the nodes in reverse, and a node's output used by several nodes
/// receives the sum of their adjoints (gradient sinks accumulate). A layer object used more than
/// once is built once, at its first use, and every use adds into its gradients.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "strata/autodiff/value_and_grad.hpp"
#include "strata/eval/evaluate.hpp"
#include "strata/models/graph.hpp"
#include "strata/models/model.hpp"
#include "strata/models/summary.hpp"

namespace strata::detail {

/// What a model keeps for node `I` of its graph: one instance per place the node type occurs
/// (usually one).
template <scalar T, class List, std::size_t I, class Node = typename List::template at<I>>
struct graph_node;

template <scalar T, class List, std::size_t I, class Spec>
struct graph_node<T, List, I, input_node<Spec>> {
  using spec_type = Spec;
  using element_type = typename Spec::element_type;
  using shape_type = typename Spec::shape_type;
  using value_tensor = tensor<element_type, shape_type>;
  static constexpr bool is_input = true;

  struct instance {
    Spec spec;
    std::string name;
    std::size_t position = 0;
    const value_tensor* value = nullptr;  // the data of the current pass
    tensor<T, shape_type> adjoint;        // d loss / d input, when asked for
    bool wants_adjoint = false;

    [[nodiscard]] const value_tensor& output() const { return *value; }
    [[nodiscard]] const extents<shape_type::rank>& output_dims() const { return spec.dims; }
  };
  std::vector<instance> instances;
};

template <scalar T, class List, std::size_t I, class Layer, std::size_t... In>
struct graph_node<T, List, I, layer_node<Layer, In...>> {
  template <std::size_t J>
  using input_type = input_of<typename graph_node<T, List, J>::element_type, typename graph_node<T, List, J>::shape_type>;
  using types = layer_node_types<T, Layer, input_type<In>...>;
  using layer_type = Layer;
  using input_indices = std::index_sequence<In...>;
  using element_type = T;
  using shape_type = typename types::output_shape;
  using value_tensor = tensor<T, shape_type>;
  using storage_type = typename types::storage_type;
  static constexpr bool is_input = false;
  static constexpr std::size_t input_count = sizeof...(In);

  struct instance {
    Layer layer;
    std::string name;
    std::size_t position = 0;
    std::size_t node_index = 0;                     // which use of its layer (Keras' node index)
    std::array<std::size_t, sizeof...(In)> inputs{};  // the producers' instance indices
    std::shared_ptr<storage_type> owned;            // the weights, at the layer's first use
    storage_type* weights = nullptr;                // owned, or the first use's
    const Layer* owner = nullptr;                   // the first use's layer: its `trainable` counts
    extents<shape_type::rank> dims{};               // as built; dyn: unknown
    value_tensor value;
    value_tensor adjoint;
    std::optional<typename types::expression_type> expression;

    [[nodiscard]] const value_tensor& output() const { return value; }
    [[nodiscard]] const extents<shape_type::rank>& output_dims() const { return dims; }
  };
  std::vector<instance> instances;

  static auto make_builder(name_scope& names, const extents<input_type<In>::shape_type::rank>&... dims) {
    if constexpr (sizeof...(In) == 1) {
      return typename types::builder_type(dims..., names);
    } else {
      return typename types::builder_type(names, dims...);
    }
  }
  static auto probe(const Layer& layer, storage_type& weights, const extents<input_type<In>::shape_type::rank>&... dims) {
    return probe_call_dims<T, Layer, storage_type, input_type<In>...>(layer, weights, dims...);
  }
};

template <scalar T, class List, class Indices>
struct graph_nodes;
template <scalar T, class List, std::size_t... I>
struct graph_nodes<T, List, std::index_sequence<I...>> {
  using type = std::tuple<graph_node<T, List, I>...>;
};

/// Throws unless `use` (a shared layer's weights as another use would build them) has the
/// extents of `first` (the weights its first use built).
template <class Storage>
void check_shared_weights(Storage& use, Storage& first) {
  std::vector<std::string> mismatches;
  std::vector<std::pair<std::string, std::string>> first_dims;
  for_each_slot(first, [&](auto& slot) { first_dims.emplace_back(slot.name, format_dims(slot.value.dims())); });
  std::size_t i = 0;
  for_each_slot(use, [&](auto& slot) {
    const std::string dims = format_dims(slot.value.dims());
    if (dims != first_dims[i].second)
      mismatches.push_back(fmt::format("'{}' would be {} here, {} at its first use", first_dims[i].first, dims,
                                       first_dims[i].second));
    ++i;
  });
  if (!mismatches.empty())
    throw shape_error(fmt::format("strata: a shared layer's inputs must give it the same weights: {}",
                                  fmt::join(mismatches, "; ")));
}

/// The model engine (see the file comment): the nodes of graph `List` run in order, with inputs at
/// the nodes `InputNodes` and outputs at `OutputNodes`. Front ends (strata::Model, Sequential)
/// add the instances of its nodes, then build it.
template <class List, class InputNodes, class OutputNodes>
class graph_engine;

template <class List, std::size_t... InputNodes, std::size_t... OutputNodes>
class graph_engine<List, std::index_sequence<InputNodes...>, std::index_sequence<OutputNodes...>> {
  static constexpr std::size_t node_count = List::size;

 public:
  /// The node of input `K` and of output `K` in the graph.
  template <std::size_t K>
  static constexpr std::size_t input_node_of() {
    constexpr std::size_t nodes[] = {InputNodes...};
    return nodes[K];
  }
  template <std::size_t K>
  static constexpr std::size_t output_node_of() {
    constexpr std::size_t nodes[] = {OutputNodes...};
    return nodes[K];
  }

  using scalar_type = typename graph_scalar<List>::type;
  using nodes = typename graph_nodes<scalar_type, List, std::make_index_sequence<node_count>>::type;
  template <std::size_t I>
  using node_type = std::tuple_element_t<I, nodes>;
  static constexpr std::size_t input_count = sizeof...(InputNodes);
  static constexpr std::size_t output_count = sizeof...(OutputNodes);

  template <std::size_t K>
  using input_tensor_at = typename node_type<input_node_of<K>()>::value_tensor;
  template <std::size_t K>
  using output_tensor_at = tensor<scalar_type, typename node_type<output_node_of<K>()>::shape_type>;

 private:
  template <class Indices>
  struct tensor_tuples;
  template <std::size_t... K>
  struct tensor_tuples<std::index_sequence<K...>> {
    using inputs = std::tuple<const input_tensor_at<K>&...>;
    using input_gradients = std::tuple<tensor<scalar_type, typename node_type<input_node_of<K>()>::shape_type>*...>;
  };
  using input_tuple = typename tensor_tuples<std::make_index_sequence<input_count>>::inputs;
  using gradient_tuple = typename tensor_tuples<std::make_index_sequence<input_count>>::input_gradients;

 public:
  /// The data forward, predict and backward take: the input tensor, or with several inputs a
  /// tuple of references to them, in order (`{a, b}`; tensors, since a reference to a temporary
  /// made from an expression would dangle).
  using input_tensors = std::conditional_t<input_count == 1, input_tensor_at<0>, input_tuple>;
  /// Where backward may put d loss / d each input: a tensor pointer, or with several inputs a
  /// tuple of them (null where not wanted).
  using input_gradients = std::conditional_t<input_count == 1, std::tuple_element_t<0, gradient_tuple>, gradient_tuple>;

  // The names a model of one input and one output shares with Sequential (fit, gradcheck_model).
  using input_shape = typename node_type<input_node_of<0>()>::shape_type;
  using input_tensor = input_tensor_at<0>;
  using output_shape = typename node_type<output_node_of<0>()>::shape_type;
  using output_tensor = output_tensor_at<0>;

  static constexpr std::uint64_t default_seed = 20240611;
  /// A moved-from model holds nothing; it may only be assigned to or destroyed.
  graph_engine(graph_engine&&) noexcept = default;
  graph_engine& operator=(graph_engine&&) noexcept = default;
  graph_engine(const graph_engine&) = delete;  // expressions point into the model's own buffers
  graph_engine& operator=(const graph_engine&) = delete;
  ~graph_engine() = default;

  [[nodiscard]] const std::string& name() const { return state_->name; }

  /// Builds every layer again and draws its weights anew from `seed`. If one fails to build, the
  /// error names it and the model is left as it was.
  void initialize(std::uint64_t seed) {
    std::vector<std::function<void()>> commit;
    std::map<std::uint64_t, first_use> first_uses;  // layer identity → its first use
    each_layer_node([&]<std::size_t I>(auto& node, std::integral_constant<std::size_t, I>) {
      for (auto& inst : node.instances) build_instance<I>(inst, seed, first_uses, commit);
    });
    for (auto& apply : commit) apply();
    state_->seed = seed;
    state_->step = 0;
  }

  /// The names of the model's inputs and layers, in the order it runs them.
  [[nodiscard]] std::vector<std::string> layer_names() const {
    std::vector<std::string> names;
    each_instance([&](const auto& inst, bool first_use) {
      if (first_use && !inst.name.empty()) names.push_back(inst.name);
    });
    return names;
  }

  /// Freezes (false) or unfreezes the layer named `layer_name`, as Keras' `layer.trainable = ...`.
  void set_trainable(const std::string& layer_name, bool trainable) {
    bool found = false;
    each_layer_node([&]<std::size_t I>(auto& node, std::integral_constant<std::size_t, I>) {
      for (auto& inst : node.instances)
        if (inst.name == layer_name) {
          inst.layer.trainable = trainable;
          found = true;
        }
    });
    if (!found)
      throw std::invalid_argument(fmt::format("strata: {} has no layer named '{}'; its layers are {}", name(),
                                              layer_name, fmt::join(layer_names(), ", ")));
  }

  /// Runs the model on `xs` (one tensor per input) and returns its output, or a tuple of its
  /// outputs: buffers the model owns, valid until the next pass.
  decltype(auto) forward(const input_tensors& xs, forward_options options = {}) {
    set_inputs(xs);
    std::uint64_t step = 0;
    if (options.step) {
      step = *options.step;
    } else if (options.training) {
      step = state_->step++;
    }
    each_layer_node([&]<std::size_t I>(auto& node, std::integral_constant<std::size_t, I>) {
      for (auto& inst : node.instances) forward_instance<I>(inst, options.training, step);
    });
    if constexpr (output_count == 1) {
      return static_cast<const output_tensor&>(output_instance<0>().value);
    } else {
      return output_refs(std::make_index_sequence<output_count>{});
    }
  }

  /// Predicts: the output for `xs` in inference mode (a tuple of outputs when there are several),
  /// as new tensors.
  [[nodiscard]] auto predict(const input_tensors& xs) {
    if constexpr (output_count == 1) {
      return output_tensor(forward(xs));
    } else {
      return std::apply([](const auto&... y) { return std::make_tuple(std::remove_cvref_t<decltype(y)>(y)...); },
                        forward(xs));
    }
  }
  [[nodiscard]] auto operator()(const input_tensors& xs) { return predict(xs); }

  /// One forward pass in training mode and the backward pass of `loss(outputs...)` (a scalar
  /// expression of the output tensors): adds the gradient of every trainable weight into its
  /// gradient tensor (zero them between steps) and, where `gradients` points, d loss / d input.
  template <class Loss>
  scalar_type backward(const input_tensors& xs, Loss&& loss, forward_options options,
                       const input_gradients& gradients) {
    forward(xs, options);
    const auto outputs = output_refs(std::make_index_sequence<output_count>{});
    const gradient_tuple pointers(as_tuple(gradients));
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((input_instance<K>().wants_adjoint = std::get<K>(pointers) != nullptr), ...);
    }(std::make_index_sequence<input_count>{});
    zero_adjoints();
    const auto& loss_expression = state_->loss_cache.keep(std::apply(loss, outputs));
    const scalar_type value = [&]<std::size_t... K>(std::index_sequence<K...>) {
      return strata::backward(loss_expression, wrt(std::get<K>(outputs), output_instance<K>().adjoint)...);
    }(std::make_index_sequence<output_count>{});
    if constexpr (node_count > 1) backward_from<node_count - 1>();
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((std::get<K>(pointers) != nullptr ? void(*std::get<K>(pointers) = input_instance<K>().adjoint) : void()), ...);
    }(std::make_index_sequence<input_count>{});
    return value;
  }
  template <class Loss>
  scalar_type backward(const input_tensors& xs, Loss&& loss, forward_options options = {.training = true}) {
    return backward(xs, std::forward<Loss>(loss), options, input_gradients{});
  }

  /// Sets every gradient to zero (frozen layers' too, so unfreezing starts clean).
  void zero_gradients() {
    for_each_slot([](auto& slot, bool) { slot.gradient.fill(0); });
  }

  /// Calls `visit(name, value, gradient)` for each trainable weight of a trainable layer, in the
  /// order the model runs its layers ("dense/kernel", "dense/bias", ...).
  template <class Visitor>
  void for_each_weight(Visitor&& visit) {
    for_each_slot([&](auto& slot, bool layer_trainable) {
      if (layer_trainable && slot.trained()) visit(slot.name, slot.value, slot.gradient);
    });
  }

  /// Calls `visit(name, value, trainable)` for every weight (model state included), in order.
  template <class Visitor>
  void for_each_variable(Visitor&& visit) {
    for_each_slot([&](auto& slot, bool layer_trainable) {
      if (slot.present) visit(slot.name, slot.value, layer_trainable && slot.trained());
    });
  }
  template <class Visitor>
  void for_each_variable(Visitor&& visit) const {
    const_cast<graph_engine*>(this)->for_each_slot([&](const auto& slot, bool layer_trainable) {
      if (slot.present) visit(slot.name, std::as_const(slot.value), layer_trainable && slot.trained());
    });
  }

  /// Parameter counts: all, trainable, non-trainable (as summary() prints them).
  [[nodiscard]] parameter_counts count_params() const {
    parameter_counts counts;
    for_each_variable([&](const std::string&, const auto& value, bool trainable) {
      (trainable ? counts.trainable : counts.non_trainable) += value.size();
    });
    counts.total = counts.trainable + counts.non_trainable;
    return counts;
  }

  /// Keras' model summary: a row per layer with its output shape ("multiple" for a layer used more
  /// than once) and parameters; for a functional model also a row per input and what each layer is
  /// connected to (`dense[0][0]`: the layer, which use of it, which of its outputs).
  [[nodiscard]] std::string summary_string() const {
    std::vector<summary_row> rows;
    std::map<std::string, std::size_t> row_of;
    const bool functional = state_->functional;
    each_node_const([&]<std::size_t I>(const auto& node, std::integral_constant<std::size_t, I>) {
      using node_t = std::remove_cvref_t<decltype(node)>;
      for (const auto& inst : node.instances) {
        if constexpr (node_t::is_input) {
          if (functional) rows.push_back({fmt::format("{} (InputLayer)", inst.name), format_dims(inst.output_dims()), 0, {}});
        } else {
          const auto [found, first] = row_of.try_emplace(inst.name, rows.size());
          if (first) {
            index params = 0;
            detail::for_each_slot(*inst.weights, [&](const auto& slot) {
              if (slot.present) params += slot.value.size();
            });
            rows.push_back({fmt::format("{} ({})", inst.name, node_t::layer_type::class_name),
                            format_dims(inst.output_dims()), params, {}});
          } else {
            rows[found->second].shape = "multiple";
          }
          if (functional) append_inbound<I>(inst, rows[found->second].connected, typename node_t::input_indices{});
        }
      }
    });
    return summary_table(name(), rows, count_params());
  }

  /// Prints `summary_string()` to standard output.
  void summary() const { std::fputs(summary_string().c_str(), stdout); }

  /// The name of output `K`: the name of the layer that gives it (Keras names its losses and
  /// metrics after it), with "_1", "_2", ... when an earlier output comes from the same layer.
  template <std::size_t K = 0>
  [[nodiscard]] std::string output_name() const {
    const std::string& layer = output_instance<K>().name;
    std::size_t before = 0;
    [&]<std::size_t... J>(std::index_sequence<J...>) {
      ((before += output_instance<J>().name == layer ? 1 : 0), ...);
    }(std::make_index_sequence<K>{});
    return before == 0 ? layer : fmt::format("{}_{}", layer, before);
  }

  /// The extents input `K` was declared with (`dyn` where unknown, such as the batch size).
  template <std::size_t K = 0>
  [[nodiscard]] const auto& input_dims() const {
    return input_instance<K>().output_dims();
  }
  /// The extents of output `K` as far as they are known before data arrives.
  template <std::size_t K = 0>
  [[nodiscard]] const auto& output_dims() const {
    return output_instance<K>().output_dims();
  }

 protected:
  struct state {
    std::string name;
    bool functional = true;  // a graph (its summary shows inputs and connections), not a chain
    nodes graph;
    std::array<std::size_t, input_count> input_instances{};    // each input's instance in its node
    std::array<std::size_t, output_count> output_instances{};  // each output's instance in its node
    std::uint64_t seed = default_seed;
    std::uint64_t step = 0;
    expression_cache loss_cache;
  };

  template <std::size_t I>
  node_type<I>& node() {
    return std::get<I>(state_->graph);
  }
  template <std::size_t I>
  const node_type<I>& node() const {
    return std::get<I>(state_->graph);
  }
  template <std::size_t K>
  auto& input_instance() {
    return node<input_node_of<K>()>().instances[state_->input_instances[K]];
  }
  template <std::size_t K>
  const auto& input_instance() const {
    return node<input_node_of<K>()>().instances[state_->input_instances[K]];
  }
  template <std::size_t K>
  auto& output_instance() {
    return node<output_node_of<K>()>().instances[state_->output_instances[K]];
  }
  template <std::size_t K>
  const auto& output_instance() const {
    return node<output_node_of<K>()>().instances[state_->output_instances[K]];
  }
  template <std::size_t... K>
  auto output_refs(std::index_sequence<K...>) const {
    return std::tuple<const output_tensor_at<K>&...>(output_instance<K>().value...);
  }

  /// Calls `visit(node, integral_constant<I>)` for each node type, in order.
  template <class Visitor>
  void each_node_const(Visitor&& visit) const {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (visit(node<I>(), std::integral_constant<std::size_t, I>{}), ...);
    }(std::make_index_sequence<node_count>{});
  }
  /// The same for the layer nodes only (not the inputs), which it may change.
  template <class Visitor>
  void each_layer_node(Visitor&& visit) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (visit_if_layer<I>(visit), ...);
    }(std::make_index_sequence<node_count>{});
  }
  template <std::size_t I, class Visitor>
  void visit_if_layer(Visitor& visit) {
    if constexpr (!node_type<I>::is_input) visit(node<I>(), std::integral_constant<std::size_t, I>{});
  }

  /// Calls `visit(instance, first_use)` for every input and layer use in run order; `first_use`
  /// is true for inputs and for each layer's first use.
  template <class Visitor>
  void each_instance(Visitor&& visit) const {
    each_node_const([&]<std::size_t I>(const auto& node, std::integral_constant<std::size_t, I>) {
      using node_t = std::remove_cvref_t<decltype(node)>;
      for (const auto& inst : node.instances) {
        if constexpr (node_t::is_input) {
          visit(inst, true);
        } else {
          visit(inst, inst.owned != nullptr);
        }
      }
    });
  }

  /// Calls `visit(slot, layer_trainable)` for every weight, each shared layer's once.
  template <class Visitor>
  void for_each_slot(Visitor&& visit) {
    each_layer_node([&]<std::size_t I>(auto& node, std::integral_constant<std::size_t, I>) {
      for (auto& inst : node.instances)
        if (inst.owned)
          detail::for_each_slot(*inst.owned, [&](auto& slot) { visit(slot, inst.layer.trainable); });
    });
  }

  // --- putting the graph together (by the front ends) -----------------------------------

  explicit graph_engine(std::string name) : state_(std::make_unique<state>()) { state_->name = std::move(name); }

  /// Adds the data of input `K`; returns its instance.
  template <std::size_t K, class Spec>
  std::size_t add_input(const Spec& spec) {
    auto& instances = node<input_node_of<K>()>().instances;
    state_->input_instances[K] = instances.size();
    instances.emplace_back();
    instances.back().spec = spec;
    return instances.size() - 1;
  }
  /// Adds a use of `layer` at node `I`, on the producers' instances `inputs`; returns its instance.
  template <std::size_t I, class Layer>
  std::size_t add_layer(const Layer& layer, const std::array<std::size_t, node_type<I>::input_count>& inputs) {
    auto& instances = node<I>().instances;
    instances.emplace_back();
    instances.back().layer = layer;
    instances.back().inputs = inputs;
    return instances.size() - 1;
  }
  /// Says which instance of its node output `K` is.
  template <std::size_t K>
  void set_output(std::size_t instance) {
    state_->output_instances[K] = instance;
  }

  /// Positions in run order, unique names (Keras' defaults where none was given) and, for a layer
  /// used more than once, which use is which.
  void assign_positions_and_names(bool name_inputs) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (check_distinct_output<K>(std::make_index_sequence<K>{}), ...);
    }(std::make_index_sequence<output_count>{});
    name_scope names;
    std::map<std::uint64_t, std::pair<std::string, std::size_t>> layers;  // identity → name, uses so far
    std::size_t position = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (assign<I>(names, layers, position, name_inputs), ...);
    }(std::make_index_sequence<node_count>{});
  }
  /// Output `K` must not be an earlier output again (a tensor is one output; a model that needs it
  /// twice can pass it through an Activation("linear")).
  template <std::size_t K, std::size_t... J>
  void check_distinct_output(std::index_sequence<J...>) const {
    const auto same = [&]<std::size_t L>(std::integral_constant<std::size_t, L>) {
      return output_node_of<L>() == output_node_of<K>() && state_->output_instances[L] == state_->output_instances[K];
    };
    (void)same;  // the first output has no earlier one
    if ((same(std::integral_constant<std::size_t, J>{}) || ...))
      throw std::invalid_argument(fmt::format("strata: output {} of the model is an earlier output again; give each "
                                              "tensor once in outputs(...)",
                                              K));
  }

  template <std::size_t I>
  void assign(name_scope& names, std::map<std::uint64_t, std::pair<std::string, std::size_t>>& layers,
              std::size_t& position, bool name_inputs) {
    using node_t = node_type<I>;
    for (auto& inst : node<I>().instances) {
      if constexpr (node_t::is_input) {
        inst.name = name_inputs ? names.unique(inst.spec.name, "InputLayer") : inst.spec.name;
      } else {
        inst.position = position++;  // counts layers only, as errors name them
        auto [found, first] = layers.try_emplace(inst.layer.identity.value);
        if (first) found->second.first = names.unique(inst.layer.name, node_t::layer_type::class_name);
        inst.name = found->second.first;
        inst.node_index = found->second.second++;
      }
    }
  }

  template <std::size_t I, std::size_t... Producer>
  auto input_dims_of(const typename node_type<I>::instance& inst, std::index_sequence<Producer...>) const {
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
      return std::tuple<decltype(node<Producer>().instances[0].output_dims())...>{
          node<Producer>().instances[inst.inputs[J]].output_dims()...};
    }(std::make_index_sequence<sizeof...(Producer)>{});
  }

  /// A layer's first use, while the model builds: its new weights and its layer.
  struct first_use {
    std::shared_ptr<void> weights;
    const std::type_info* type = nullptr;
    const void* layer = nullptr;
  };

  /// Builds one use of a layer: at its first use, its weights (committed once every layer has
  /// built); at a later use, a check that its input gives the same weights.
  template <std::size_t I>
  void build_instance(typename node_type<I>::instance& inst, std::uint64_t seed,
                      std::map<std::uint64_t, first_use>& first_uses, std::vector<std::function<void()>>& commit) {
    using node_t = node_type<I>;
    using layer_type = typename node_t::layer_type;
    using storage_type = typename node_t::storage_type;
    naming_layer(inst.position, inst.name, layer_type::class_name, [&] {
      name_scope inner_names;  // sub-layers' names are local to their layer
      const auto input_dims = input_dims_of<I>(inst, typename node_t::input_indices{});
      auto specs = std::apply(
          [&](const auto&... dims) {
            auto b = node_t::make_builder(inner_names, dims...);
            return build_weights(inst.layer, b);
          },
          input_dims);
      // The layer's own `trainable` is read at every step (set_trainable); sub-layers' at build.
      scope_weights(specs, inst.name, /*layer_trainable=*/true);
      std::shared_ptr<storage_type> weights;
      const layer_type* owner = &inst.layer;
      if (const auto found = first_uses.find(inst.layer.identity.value); found == first_uses.end()) {
        weights = std::make_shared<storage_type>(
            make_storage<scalar_type>(specs, mix_seed(seed, inst.position)));
        first_uses.emplace(inst.layer.identity.value, first_use{weights, &typeid(storage_type), &inst.layer});
        commit.push_back([&inst, weights] { inst.owned = weights; });
      } else {
        // A shared layer is built once, at its first use; a later use must need the same weights.
        if (*found->second.type != typeid(storage_type))
          throw shape_error(fmt::format("strata: a shared layer's inputs must give it weights of the same types; this "
                                        "use's input shapes give other static extents than its first use's"));
        weights = std::static_pointer_cast<storage_type>(found->second.weights);
        owner = static_cast<const layer_type*>(found->second.layer);
        // A copy of a layer object is the same layer: a copy changed since would be ignored.
        if (const auto mine = strata::get_config(inst.layer), first = strata::get_config(*owner); mine != first)
          throw std::invalid_argument(fmt::format(
              "strata: this use of layer '{}' has the config {}, its first use {}; a copy of a layer object is the "
              "same layer (it shares its weights), so make a new layer object for a new layer",
              inst.name, mine.dump(), first.dump()));
        auto mine = make_storage<scalar_type>(specs, 0, /*initialized=*/false);
        check_shared_weights(mine, *weights);
      }
      commit.push_back([&inst, weights, owner] {
        inst.weights = weights.get();
        inst.owner = owner;
      });
      inst.dims = std::apply([&](const auto&... dims) { return node_t::probe(inst.layer, *weights, dims...); },
                             input_dims);
    });
  }

  // --- running it ---------------------------------------------------------------------------

  /// One input's tensor or pointer as a tuple of one, several inputs' as they are.
  template <class X>
  static auto as_tuple(const X& x) {
    if constexpr (input_count == 1) {
      return std::tuple<const X&>(x);
    } else {
      return x;
    }
  }
  template <std::size_t... K>
  void set_inputs_of(const input_tuple& xs, std::index_sequence<K...>) {
    (set_input<K>(std::get<K>(xs)), ...);
  }
  void set_inputs(const input_tensors& xs) { set_inputs_of(as_tuple(xs), std::make_index_sequence<input_count>{}); }
  template <std::size_t K>
  void set_input(const input_tensor_at<K>& x) {
    auto& inst = input_instance<K>();
    const auto& expected = inst.spec.dims;
    for (std::size_t i = 0; i < expected.size(); ++i)
      if (expected[i] != dyn && expected[i] != x.dims()[i])
        throw shape_error(input_count == 1
                              ? fmt::format("strata: {}: the input must have shape {}, found {}", name(),
                                            format_dims(expected), format_dims(x.dims()))
                              : fmt::format("strata: {}: input {} '{}' must have shape {}, found {}", name(), K,
                                            inst.name, format_dims(expected), format_dims(x.dims())));
    inst.value = &x;
  }

  template <std::size_t I, std::size_t... Producer>
  auto input_values(const typename node_type<I>::instance& inst, std::index_sequence<Producer...>) const {
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
      return std::tuple<const typename node_type<Producer>::value_tensor&...>{
          node<Producer>().instances[inst.inputs[J]].output()...};
    }(std::make_index_sequence<sizeof...(Producer)>{});
  }

  template <std::size_t I>
  void forward_instance(typename node_type<I>::instance& inst, bool training, std::uint64_t step) {
    const call_context context{training, mix_seed(mix_seed(state_->seed, inst.position), step), step};
    const auto& settings = inst.owner != nullptr ? *inst.owner : inst.layer;
    naming_layer(inst.position, inst.name, node_type<I>::layer_type::class_name, [&] {
      // Built anew each pass (the context and the extents may change); the last one's buffers
      // are handed over first, so a steady-state step allocates nothing.
      auto fresh = std::apply(
          [&](const auto&... x) { return layer_expression_of<scalar_type>(settings, *inst.weights, context, x...); },
          input_values<I>(inst, typename node_type<I>::input_indices{}));
      if (inst.expression) recycle(fresh, *inst.expression);
      inst.expression.reset();
      inst.expression.emplace(std::move(fresh));
      eval_into(*inst.expression, inst.value);
    });
  }

  void zero_adjoints() {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (zero_adjoints_of<I>(), ...);
    }(std::make_index_sequence<node_count>{});
  }
  template <std::size_t I>
  void zero_adjoints_of() {
    for (auto& inst : node<I>().instances) {
      if constexpr (node_type<I>::is_input) {
        if (!inst.wants_adjoint) continue;
        inst.adjoint.resize(inst.value->dims());
      } else {
        inst.adjoint.resize(inst.value.dims());
      }
      inst.adjoint.fill(scalar_type(0));
    }
  }

  template <std::size_t I>
  void backward_from() {
    if constexpr (!node_type<I>::is_input) {
      auto& instances = node<I>().instances;
      for (auto inst = instances.rbegin(); inst != instances.rend(); ++inst)
        backward_instance<I>(*inst, typename node_type<I>::input_indices{});
    }
    if constexpr (I > 0) backward_from<I - 1>();
  }

  template <std::size_t I, std::size_t... Producer>
  void backward_instance(typename node_type<I>::instance& inst, std::index_sequence<Producer...>) {
    using node_t = node_type<I>;
    using slot = typename gradient_sink<scalar_type>::slot;
    std::array<slot, slot_count<typename node_t::storage_type>() + sizeof...(Producer)> slots{};
    std::size_t used = 0;
    const auto& settings = inst.owner != nullptr ? *inst.owner : inst.layer;
    if (settings.trainable) {
      detail::for_each_slot(*inst.weights, [&](auto& w) {
        if (w.trained()) slots[used++] = {w.value.data(), w.gradient.data()};
      });
    }
    [&]<std::size_t... J>(std::index_sequence<J...>) {
      (add_input_slot<Producer>(inst.inputs[J], slots, used), ...);
    }(std::make_index_sequence<sizeof...(Producer)>{});
    const gradient_sink<scalar_type> sink(std::span<const slot>(slots.data(), used));
    naming_layer(inst.position, inst.name, node_t::layer_type::class_name, [&] {
      if (inst.expression->depends_on(sink)) inst.expression->backward(std::as_const(inst.adjoint).canvas(), sink);
    });
  }

  template <std::size_t Producer, class Slots>
  void add_input_slot(std::size_t instance, Slots& slots, std::size_t& used) {
    using producer_t = node_type<Producer>;
    if constexpr (scalar<typename producer_t::element_type>) {
      auto& inst = node<Producer>().instances[instance];
      if constexpr (producer_t::is_input) {
        if (!inst.wants_adjoint) return;
      }
      slots[used++] = {inst.output().data(), inst.adjoint.data()};
    }
  }

  template <std::size_t I, std::size_t... Producer>
  void append_inbound(const typename node_type<I>::instance& inst, std::vector<std::string>& connected,
                      std::index_sequence<Producer...>) const {
    auto add = [&](const auto& producer) {
      std::size_t use = 0;
      if constexpr (requires { producer.node_index; }) use = producer.node_index;
      connected.push_back(fmt::format("{}[{}][0]", producer.name, use));
    };
    [&]<std::size_t... J>(std::index_sequence<J...>) {
      (add(node<Producer>().instances[inst.inputs[J]]), ...);
    }(std::make_index_sequence<sizeof...(Producer)>{});
  }

  std::unique_ptr<state> state_;
};

}  // namespace strata::detail

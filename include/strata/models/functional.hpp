#pragma once
/// \file Functional models: layers applied to symbolic tensors make a graph, as Keras' functional
/// API does: several inputs and outputs, merges, shared layers.
///
///     auto image = strata::Input<strata::dyn, 8>{.name = "image"};
///     auto meta  = strata::Input<strata::dyn, 4>{.name = "meta"};
///     auto h     = strata::Concatenate{}(strata::Dense<16>{.activation = "relu"}(image), strata::Dense<8>{}(meta));
///     strata::Model model(strata::inputs(image, meta),
///                         strata::outputs(strata::Dense<1>{}(h), strata::Dense<4>{.activation = "softmax"}(h)));
///     auto [score, kind] = model.predict({x_image, x_meta});
///
/// Shapes are worked out at compile time, node by node; the model engine (engine.hpp) runs the
/// graph. A layer object applied twice is one layer: its weights are built once, on its first
/// input, and get the sum of both uses' gradients.

#include <array>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "strata/models/engine.hpp"
#include "strata/models/graph.hpp"

namespace strata {

/// A model's inputs, in the order predict and fit take their data.
template <class... X>
struct model_inputs {
  std::tuple<typename detail::symbolic_of<X>::type...> tensors;
};
/// A model's outputs, in the order it returns them.
template <class... X>
struct model_outputs {
  std::tuple<X...> tensors;
};

template <class... X>
  requires(sizeof...(X) > 0 && (symbolic_tensor<X> && ...))
model_inputs<X...> inputs(const X&... x) {
  return {{detail::symbolic_of<X>::make(x)...}};
}
template <class... X>
  requires(sizeof...(X) > 0 && (symbolic_tensor<X> && ...))
model_outputs<X...> outputs(const X&... x) {
  return {{x...}};
}

/// A model made of a graph of layers (see the file comment), from strata::inputs(...) and
/// strata::outputs(...).
template <class Inputs, class Outputs>
class Model;

namespace detail {

/// The graph of a model of inputs `In` and outputs `Out`: the union of their graphs, and where in
/// it each input and output is.
template <class Inputs, class Outputs>
struct model_graph;
template <class... In, class... Out>
struct model_graph<model_inputs<In...>, model_outputs<Out...>> {
  using input_symbols = std::tuple<typename symbolic_of<In>::type...>;
  using merged = merge_lists<node_list<>, std::tuple<>, typename Out::graph_type...,
                             typename symbolic_of<In>::type::graph_type...>;
  using list = typename merged::type;
  template <std::size_t... K>
  static auto output_nodes(std::index_sequence<K...>)
      -> std::index_sequence<mapped_index<std::tuple_element_t<K, std::tuple<Out...>>::index>(
          std::tuple_element_t<K, typename merged::maps>{})...>;
  template <std::size_t... K>
  static auto input_nodes(std::index_sequence<K...>)
      -> std::index_sequence<mapped_index<std::tuple_element_t<K, input_symbols>::index>(
          std::tuple_element_t<sizeof...(Out) + K, typename merged::maps>{})...>;
  using engine = graph_engine<list, decltype(input_nodes(std::index_sequence_for<In...>{})),
                              decltype(output_nodes(std::index_sequence_for<Out...>{}))>;
};

}  // namespace detail

template <class... In, class... Out>
class Model<model_inputs<In...>, model_outputs<Out...>>
    : public detail::model_graph<model_inputs<In...>, model_outputs<Out...>>::engine {
  using graph = detail::model_graph<model_inputs<In...>, model_outputs<Out...>>;
  using engine = typename graph::engine;
  static_assert((std::same_as<typename detail::symbolic_of<In>::type::scalar_type, typename engine::scalar_type> && ...),
                "strata: a model's inputs must all have one scalar type (Input<...>::of<double> for all, or none)");

 public:
  static constexpr const char* class_name = "Functional";

  /// The model of `inputs` and `outputs`, every layer built and its weights drawn from
  /// `default_seed`.
  Model(const model_inputs<In...>& inputs, const model_outputs<Out...>& outputs, std::string name = "model")
      : engine(std::move(name)) {
    collect(inputs, outputs);
    this->initialize(engine::default_seed);
  }

 private:
  template <std::size_t K>
  static constexpr std::size_t input_node_of() {
    return engine::template input_node_of<K>();
  }
  template <std::size_t K>
  static constexpr std::size_t output_node_of() {
    return engine::template output_node_of<K>();
  }

  // --- putting the graph together ---------------------------------------------------------

  void collect(const model_inputs<In...>& inputs, const model_outputs<Out...>& outputs) {
    std::map<std::uint64_t, std::size_t> input_by_identity;  // input identity → which model input
    std::map<const detail::graph_entry*, std::size_t> seen;   // entry → its instance index
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (add_model_input<K>(*std::get<K>(inputs.tensors).entry, input_by_identity), ...);
    }(std::make_index_sequence<engine::input_count>{});
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (this->template set_output<K>(visit<output_node_of<K>()>(*std::get<K>(outputs.tensors).entry, input_by_identity, seen)),
       ...);
    }(std::make_index_sequence<engine::output_count>{});
    this->assign_positions_and_names(/*name_inputs=*/true);
  }

  template <std::size_t K>
  void add_model_input(const detail::graph_entry& entry, std::map<std::uint64_t, std::size_t>& by_identity) {
    using spec = typename engine::template node_type<input_node_of<K>()>::spec_type;
    if (!by_identity.emplace(entry.identity, K).second)
      throw std::invalid_argument(fmt::format("strata: a model's inputs must differ; input {} is given twice", K));
    this->template add_input<K>(static_cast<const detail::input_entry<spec>&>(entry).spec);
  }

  template <std::size_t I>
  std::size_t visit(const detail::graph_entry& entry, const std::map<std::uint64_t, std::size_t>& inputs,
                    std::map<const detail::graph_entry*, std::size_t>& seen) {
    using node_t = typename engine::template node_type<I>;
    if constexpr (node_t::is_input) {
      const auto found = inputs.find(entry.identity);
      if (found == inputs.end()) {
        const auto& spec = static_cast<const detail::input_entry<typename node_t::spec_type>&>(entry).spec;
        throw std::invalid_argument(
            fmt::format("strata: the model's outputs depend on an input {}{} that is not among the model's inputs",
                        format_dims(spec.dims), spec.name.empty() ? "" : fmt::format(" '{}'", spec.name)));
      }
      return this->state_->input_instances[found->second];
    } else {
      if (const auto found = seen.find(&entry); found != seen.end()) return found->second;
      return visit_layer<I>(entry, inputs, seen, typename node_t::input_indices{});
    }
  }

  template <std::size_t I, std::size_t... Producer>
  std::size_t visit_layer(const detail::graph_entry& entry, const std::map<std::uint64_t, std::size_t>& inputs,
                          std::map<const detail::graph_entry*, std::size_t>& seen, std::index_sequence<Producer...>) {
    using layer_type = typename engine::template node_type<I>::layer_type;
    std::array<std::size_t, sizeof...(Producer)> producers{};
    [&]<std::size_t... J>(std::index_sequence<J...>) {
      ((producers[J] = visit<Producer>(*entry.inputs[J], inputs, seen)), ...);
    }(std::make_index_sequence<sizeof...(Producer)>{});
    const std::size_t instance =
        this->template add_layer<I>(static_cast<const detail::layer_entry<layer_type>&>(entry).layer, producers);
    seen.emplace(&entry, instance);
    return instance;
  }
};

template <class... In, class... Out>
Model(model_inputs<In...>, model_outputs<Out...>, std::string = {}) -> Model<model_inputs<In...>, model_outputs<Out...>>;

}  // namespace strata

#pragma once
/// \file A model's graph as types: nodes (a model input, or a layer applied to earlier nodes),
/// the symbolic tensors of the functional API, and the union of two graphs.
///
/// A node is a type that names its inputs by their index in the graph's node list, so a graph's
/// type grows linearly with its nodes (a residual block does not double it). Two nodes of the same
/// type — the same layer type on the same nodes, such as two parallel `Dense<4>` on one input — are
/// one node type with two instances at run time; a symbolic tensor carries the run-time node
/// (`graph_entry`), which tells them apart and says which layer object each is.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/core/shape.hpp"
#include "strata/layers/config.hpp"
#include "strata/layers/layer.hpp"
#include "strata/models/model.hpp"

namespace strata {
namespace detail {

/// A model input of spec `Spec` (strata::input).
template <class Spec>
struct input_node {};
/// `Layer` applied to the nodes at `Inputs` (indices into the node list).
template <class Layer, std::size_t... Inputs>
struct layer_node {};

template <class... Nodes>
struct node_list {
  static constexpr std::size_t size = sizeof...(Nodes);
  template <std::size_t I>
  using at = std::tuple_element_t<I, std::tuple<Nodes...>>;
};

/// The index of `Node` in `List`, or its size when absent.
template <class Node, class List>
struct find_node;
template <class Node, class... Nodes>
struct find_node<Node, node_list<Nodes...>> {
  static constexpr std::size_t value = [] {
    constexpr bool same[] = {std::is_same_v<Node, Nodes>..., false};
    std::size_t i = 0;
    while (i < sizeof...(Nodes) && !same[i]) ++i;
    return i;
  }();
};

/// `List` with `Node` (appended unless there already), and its index.
template <class List, class Node>
struct add_node;
template <class... Nodes, class Node>
struct add_node<node_list<Nodes...>, Node> {
  static constexpr std::size_t index = find_node<Node, node_list<Nodes...>>::value;
  using type = std::conditional_t<(index < sizeof...(Nodes)), node_list<Nodes...>, node_list<Nodes..., Node>>;
};

template <std::size_t I, std::size_t... Map>
constexpr std::size_t mapped_index(std::index_sequence<Map...>) {
  constexpr std::size_t map[] = {Map..., 0};
  return map[I];
}

/// A node of one list, its inputs renumbered by `Map` for another.
template <class Node, class Map>
struct remap_node {
  using type = Node;
};
template <class Layer, std::size_t... Inputs, class Map>
struct remap_node<layer_node<Layer, Inputs...>, Map> {
  using type = layer_node<Layer, mapped_index<Inputs>(Map{})...>;
};

/// The nodes of `Source` added to `Result` in order (nodes equal in type become one); `map` gives
/// each Source node's index in the result.
template <class Result, class Map, class Source, std::size_t Next, bool Done = (Next == Source::size)>
struct merge_from {
  using type = Result;
  using map = Map;
};
template <class Result, std::size_t... Map, class Source, std::size_t Next>
struct merge_from<Result, std::index_sequence<Map...>, Source, Next, false> {
  using node = typename remap_node<typename Source::template at<Next>, std::index_sequence<Map...>>::type;
  using added = add_node<Result, node>;
  using next = merge_from<typename added::type, std::index_sequence<Map..., added::index>, Source, Next + 1>;
  using type = typename next::type;
  using map = typename next::map;
};

template <class Result, class Source>
struct merge_into : merge_from<Result, std::index_sequence<>, Source, 0> {};
template <class Source>
struct merge_into<node_list<>, Source> {  // into nothing: the source as it is
  using type = Source;
  using map = std::make_index_sequence<Source::size>;
};

/// The union of several lists, and the map of each into it.
template <class Result, class Maps, class... Lists>
struct merge_lists {
  using type = Result;
  using maps = Maps;
};
template <class Result, class... Maps, class List, class... Rest>
struct merge_lists<Result, std::tuple<Maps...>, List, Rest...> {
  using step = merge_into<Result, List>;
  using next = merge_lists<typename step::type, std::tuple<Maps..., typename step::map>, Rest...>;
  using type = typename next::type;
  using maps = typename next::maps;
};

/// A node at run time: which layer object it applies (or which input it is) and to which nodes.
struct graph_entry {
  graph_entry(std::uint64_t identity, std::vector<std::shared_ptr<const graph_entry>> inputs)
      : identity(identity), inputs(std::move(inputs)) {}
  graph_entry(const graph_entry&) = delete;
  graph_entry& operator=(const graph_entry&) = delete;
  virtual ~graph_entry() = default;

  std::uint64_t identity;
  std::vector<std::shared_ptr<const graph_entry>> inputs;
};

template <class Layer>
struct layer_entry final : graph_entry {
  layer_entry(Layer layer, std::vector<std::shared_ptr<const graph_entry>> inputs)
      : graph_entry(layer.identity.value, std::move(inputs)), layer(std::move(layer)) {}
  Layer layer;
};

template <class Spec>
struct input_entry final : graph_entry {
  explicit input_entry(Spec spec) : graph_entry(spec.identity.value, {}), spec(std::move(spec)) {}
  Spec spec;
};

/// What a layer is given in a graph, for compile-time checks: the layer that made the input (or
/// the input spec) and its shape, both named by the compiler when a check fails.
template <class Producer, shape_type Shape>
struct graph_input {
  using producer = Producer;
  using shape_type = Shape;
};

/// The scalar type of a graph: its first input's.
template <class List>
struct graph_scalar;
template <class Spec, class... Rest>
struct graph_scalar<node_list<input_node<Spec>, Rest...>> {
  using type = typename Spec::scalar_type;
};

/// The types that follow for `Layer` from its inputs (`input_of<Element, Shape>`...): its weights'
/// specs and storage, its call expression and output shape. Shared by every graph that holds
/// such a node, so each is worked out once.
template <scalar T, class Layer, class... Inputs>
struct layer_node_types {
  using builder_type =
      std::conditional_t<sizeof...(Inputs) == 1,
                         builder<T, typename std::tuple_element_t<0, std::tuple<Inputs...>>::shape_type,
                                 typename std::tuple_element_t<0, std::tuple<Inputs...>>::element_type>,
                         multi_input_builder<T, Inputs...>>;
  using spec_type = decltype(build_weights(std::declval<const Layer&>(), std::declval<builder_type&>()));
  using storage_type = storage_t<T, spec_type>;
  using expression_type = decltype(layer_expression_of<T>(std::declval<const Layer&>(), std::declval<storage_type&>(),
                                                          std::declval<const call_context&>(),
                                                          std::declval<const typename Inputs::tensor_type&>()...));
  using output_shape = typename expression_type::shape_type;
};

}  // namespace detail

/// A symbolic tensor of the functional API: the output of a node of the graph `List` (its index
/// `Index`), with element type and static shape. Apply a layer to it to get the next one:
///
///     auto x = strata::Input<strata::dyn, 8>{.name = "features"};
///     auto h = strata::Dense<16>{.activation = "relu"}(x);      // a symbolic tensor (None, 16)
///     static_assert(decltype(h)::shape_type{} == strata::shape<strata::dyn, 16>{});
template <class List, std::size_t Index, class Element, shape_type Shape>
struct symbolic : symbolic_tag {
  using graph_type = List;
  static constexpr std::size_t index = Index;
  using element_type = Element;
  using shape_type = Shape;
  using scalar_type = typename detail::graph_scalar<List>::type;

  std::shared_ptr<const detail::graph_entry> entry;
};

namespace detail {

template <class X>
struct symbolic_of {
  using type = X;
  static X make(const X& x) { return x; }
};
template <class Element, shape_type Shape, scalar Scalar>
struct symbolic_of<input<Element, Shape, Scalar>> {
  using spec = input<Element, Shape, Scalar>;
  using type = symbolic<node_list<input_node<spec>>, 0, Element, Shape>;
  static type make(const spec& x) { return {{}, std::make_shared<input_entry<spec>>(x)}; }
};

/// The layer that made node `I` of `List` (the input spec for an input), for error messages.
template <class Node>
struct producer_of;
template <class Spec>
struct producer_of<input_node<Spec>> {
  using type = Spec;
};
template <class Layer, std::size_t... In>
struct producer_of<layer_node<Layer, In...>> {
  using type = Layer;
};

template <class Layer, class... Inputs>
constexpr bool inputs_fit() {
  if constexpr (requires { Layer::template inputs_must_fit<Inputs...>::value; }) {
    return Layer::template inputs_must_fit<Inputs...>::value;
  } else {
    return true;
  }
}

template <class Layer, class List, class Maps, class... X, std::size_t... K>
auto apply_layer_in(const Layer& layer, std::index_sequence<K...>, const X&... x) {
  using T = typename graph_scalar<List>::type;
  // Each check names what it found (the input's position, the layer, the shapes) above its message.
  constexpr bool accepted =
      must_be_layer<Layer>::value && (layer_must_accept_input<K, Layer, typename X::shape_type, typename X::element_type,
                                                              requirements_of<Layer>()>::value &&
                                      ...);
  constexpr bool fit = accepted && inputs_fit<Layer, graph_input<typename producer_of<typename X::graph_type::template at<X::index>>::type,
                                                      typename X::shape_type>...>();
  if constexpr (!fit) {
    return std::get<0>(std::tie(x...));  // not reached: only the message above is printed
  } else {
    using types = layer_node_types<T, Layer, input_of<typename X::element_type, typename X::shape_type>...>;
    using node = layer_node<Layer, mapped_index<X::index>(std::tuple_element_t<K, Maps>{})...>;
    using added = add_node<List, node>;
    using result = symbolic<typename added::type, added::index, T, typename types::output_shape>;
    return result{{}, std::make_shared<layer_entry<Layer>>(layer, std::vector<std::shared_ptr<const graph_entry>>{x.entry...})};
  }
}

}  // namespace detail

/// `layer(inputs...)` on symbolic tensors (what STRATA_CONFIG's `operator()` calls): the symbolic
/// output of a new graph node. Applying the same layer object again shares its weights.
template <class Layer, class... X>
  requires(sizeof...(X) > 0 && (symbolic_tensor<X> && ...))
auto apply_layer(const Layer& layer, const X&... inputs) {
  using merged = detail::merge_lists<detail::node_list<>, std::tuple<>,
                                     typename detail::symbolic_of<X>::type::graph_type...>;
  return detail::apply_layer_in<Layer, typename merged::type, typename merged::maps>(
      layer, std::index_sequence_for<X...>{}, detail::symbolic_of<X>::make(inputs)...);
}

}  // namespace strata

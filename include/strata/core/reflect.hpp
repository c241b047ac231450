#pragma once
/// \file Compile-time reflection of config fields with Boost.Hana: fields are declared once, with
/// their defaults, and become both plain members (so designated initializers work) and a Hana
/// Struct (so their names are compile-time strings and code can iterate over them).
///
///     struct RandomNormal {
///       STRATA_REFLECT(RandomNormal, (double, mean, 0.0), (double, stddev, 0.05));
///     };
///     RandomNormal init{.stddev = 1.0};
///     boost::hana::for_each(boost::hana::accessors<RandomNormal>(), [&](auto field) { ... });
///
/// Each field is `(type, name, default)`. A default that holds a comma needs parentheses.

#include <type_traits>

#include <boost/hana/accessors.hpp>
#include <boost/hana/at_key.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/keys.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/preprocessor/punctuation/comma_if.hpp>
#include <boost/preprocessor/seq/for_each.hpp>
#include <boost/preprocessor/seq/for_each_i.hpp>
#include <boost/preprocessor/stringize.hpp>
#include <boost/preprocessor/tuple/elem.hpp>
#include <boost/preprocessor/variadic/to_seq.hpp>

namespace strata::detail {

/// Reads the member `Member` of an object (what a Hana accessor does).
template <class MemberPointer, MemberPointer Member>
struct field_accessor {
  template <class Object>
  constexpr decltype(auto) operator()(Object&& object) const {
    return static_cast<Object&&>(object).*Member;
  }
};

}  // namespace strata::detail

#define STRATA_DETAIL_DECLARE_FIELD(r, data, field) \
  BOOST_PP_TUPLE_ELEM(3, 0, field) BOOST_PP_TUPLE_ELEM(3, 1, field) = BOOST_PP_TUPLE_ELEM(3, 2, field);

#define STRATA_DETAIL_FIELD_ACCESSOR(r, type, i, field)                                             \
  BOOST_PP_COMMA_IF(i)::boost::hana::make_pair(                                                    \
      BOOST_HANA_STRING(BOOST_PP_STRINGIZE(BOOST_PP_TUPLE_ELEM(3, 1, field))),                     \
      ::strata::detail::field_accessor<decltype(&type::BOOST_PP_TUPLE_ELEM(3, 1, field)),          \
                                       &type::BOOST_PP_TUPLE_ELEM(3, 1, field)>{})

#define STRATA_DETAIL_REFLECT_FIELDS(type, ...) \
  BOOST_PP_SEQ_FOR_EACH(STRATA_DETAIL_DECLARE_FIELD, _, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__))

#define STRATA_DETAIL_REFLECT_ACCESSORS(type, ...) \
  BOOST_PP_SEQ_FOR_EACH_I(STRATA_DETAIL_FIELD_ACCESSOR, type, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__))

/// Declares the fields `(type, name, default)...` of `type` and reflects them (see the file comment).
#define STRATA_REFLECT(type, ...)                                                                      \
  __VA_OPT__(STRATA_DETAIL_REFLECT_FIELDS(type, __VA_ARGS__))                                          \
  struct hana_accessors_impl {                                                                         \
    static constexpr auto apply() {                                                                    \
      return ::boost::hana::make_tuple(__VA_OPT__(STRATA_DETAIL_REFLECT_ACCESSORS(type, __VA_ARGS__))); \
    }                                                                                                  \
  }

namespace strata {

/// Calls `visit(name, value)` for each reflected field of `object`, in declaration order; `name`
/// is a `const char*` made from the field's compile-time name.
template <class Object, class Visitor>
void for_each_field(Object&& object, Visitor&& visit) {
  using plain = std::remove_cvref_t<Object>;
  boost::hana::for_each(boost::hana::accessors<plain>(), [&](auto field) {
    visit(boost::hana::to<const char*>(boost::hana::first(field)), boost::hana::second(field)(object));
  });
}

}  // namespace strata

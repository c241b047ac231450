#pragma once
/// \file Keras' weight initializers: one config struct per Keras class (same name, same config keys
/// and defaults), the `strata::initializer` variant of them all, `initialize` to fill a weight as
/// Keras would, and Keras' JSON form.
///
///     strata::tensor<float, strata::shape<784, 128>> kernel;
///     strata::initialize(kernel, strata::init::glorot_uniform, /*fallback_seed=*/42);
///     strata::initialize(kernel, strata::init::RandomNormal{.stddev = 0.01, .seed = 7}, 42);
///
///     nlohmann::json j;
///     strata::to_json(j, strata::init::he_normal);  // {"class_name": "HeNormal", "config": {"seed": null}}

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <Eigen/Core>
#include <Eigen/QR>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/core/dims.hpp"
#include "strata/core/reflect.hpp"
#include "strata/layers/config.hpp"
#include "strata/core/shape.hpp"
#include "strata/tensor/tensor.hpp"

namespace strata::init {

/// All zeros.
struct Zeros {
  static constexpr const char* class_name = "Zeros";
  STRATA_REFLECT(Zeros);
  bool operator==(const Zeros&) const = default;
};

/// All ones.
struct Ones {
  static constexpr const char* class_name = "Ones";
  STRATA_REFLECT(Ones);
  bool operator==(const Ones&) const = default;
};

/// Every element equal to `value`.
struct Constant {
  static constexpr const char* class_name = "Constant";
  STRATA_REFLECT(Constant, (double, value, 0.0));
  bool operator==(const Constant&) const = default;
};

// `seed`, in every random initializer: unset, `initialize` uses its `fallback_seed`.

/// Normal samples: `RandomNormal{.stddev = 0.01}`.
struct RandomNormal {
  static constexpr const char* class_name = "RandomNormal";
  STRATA_REFLECT(RandomNormal, (double, mean, 0.0), (double, stddev, 0.05),
                 (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const RandomNormal&) const = default;
};

/// Uniform samples in [minval, maxval).
struct RandomUniform {
  static constexpr const char* class_name = "RandomUniform";
  STRATA_REFLECT(RandomUniform, (double, minval, -0.05), (double, maxval, 0.05),
                 (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const RandomUniform&) const = default;
};

/// Normal samples, those more than two `stddev` from the mean drawn again.
struct TruncatedNormal {
  static constexpr const char* class_name = "TruncatedNormal";
  STRATA_REFLECT(TruncatedNormal, (double, mean, 0.0), (double, stddev, 0.05),
                 (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const TruncatedNormal&) const = default;
};

/// Uniform in ±sqrt(6 / (fan_in + fan_out)) (Xavier).
struct GlorotUniform {
  static constexpr const char* class_name = "GlorotUniform";
  STRATA_REFLECT(GlorotUniform, (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const GlorotUniform&) const = default;
};

/// Truncated normal with standard deviation sqrt(2 / (fan_in + fan_out)) after truncation.
struct GlorotNormal {
  static constexpr const char* class_name = "GlorotNormal";
  STRATA_REFLECT(GlorotNormal, (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const GlorotNormal&) const = default;
};

/// Uniform in ±sqrt(6 / fan_in) (Kaiming).
struct HeUniform {
  static constexpr const char* class_name = "HeUniform";
  STRATA_REFLECT(HeUniform, (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const HeUniform&) const = default;
};

/// Truncated normal with standard deviation sqrt(2 / fan_in) after truncation.
struct HeNormal {
  static constexpr const char* class_name = "HeNormal";
  STRATA_REFLECT(HeNormal, (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const HeNormal&) const = default;
};

/// Truncated normal with standard deviation sqrt(1 / fan_in) after truncation.
struct LecunNormal {
  static constexpr const char* class_name = "LecunNormal";
  STRATA_REFLECT(LecunNormal, (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const LecunNormal&) const = default;
};

/// Uniform in ±sqrt(3 / fan_in).
struct LecunUniform {
  static constexpr const char* class_name = "LecunUniform";
  STRATA_REFLECT(LecunUniform, (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const LecunUniform&) const = default;
};

/// `gain` times an orthogonal matrix: the weight seen as (product of leading extents, last
/// extent) has orthonormal columns, or orthonormal rows when it has fewer rows than columns.
/// Needs rank >= 2.
struct Orthogonal {
  static constexpr const char* class_name = "Orthogonal";
  STRATA_REFLECT(Orthogonal, (double, gain, 1.0), (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const Orthogonal&) const = default;
};

/// The general form of the Glorot, He and Lecun initializers (which TF.js writes as this):
/// variance `scale / fan`, fan by `mode` ("fan_in", "fan_out", "fan_avg"), drawn from
/// `distribution` ("truncated_normal", also written "normal"; "untruncated_normal"; "uniform").
struct VarianceScaling {
  static constexpr const char* class_name = "VarianceScaling";
  STRATA_REFLECT(VarianceScaling, (double, scale, 1.0), (std::string, mode, "fan_in"),
                 (std::string, distribution, "truncated_normal"), (std::optional<std::uint64_t>, seed, std::nullopt));
  bool operator==(const VarianceScaling&) const = default;
};

/// The default configs, under Keras' string names: `initialize(w, init::he_normal, seed)`.
inline constexpr Zeros zeros{};
inline constexpr Ones ones{};
inline constexpr Constant constant{};
inline constexpr RandomNormal random_normal{};
inline constexpr RandomUniform random_uniform{};
inline constexpr TruncatedNormal truncated_normal{};
inline constexpr GlorotUniform glorot_uniform{};
inline constexpr GlorotNormal glorot_normal{};
inline constexpr HeUniform he_uniform{};
inline constexpr HeNormal he_normal{};
inline constexpr LecunNormal lecun_normal{};
inline constexpr LecunUniform lecun_uniform{};
inline constexpr Orthogonal orthogonal{};

}  // namespace strata::init

namespace strata {

/// Any Keras initializer with its config; what a layer stores for `kernel_initializer`.
using initializer = std::variant<init::Zeros, init::Ones, init::Constant, init::RandomNormal, init::RandomUniform,
                                 init::TruncatedNormal, init::GlorotUniform, init::GlorotNormal, init::HeUniform,
                                 init::HeNormal, init::LecunNormal, init::LecunUniform, init::Orthogonal,
                                 init::VarianceScaling>;

/// Keras' class name of the initializer held: `class_name_of(init::he_normal) == "HeNormal"`.
inline std::string_view class_name_of(const initializer& init) {
  return std::visit(
      [](const auto& config) -> std::string_view { return std::remove_cvref_t<decltype(config)>::class_name; }, init);
}

/// The number of input and output units a weight connects, which the variance-scaling
/// initializers divide by.
struct fans {
  double in = 1, out = 1;
  bool operator==(const fans&) const = default;
};

/// Keras' `compute_fans`: rank 0 → (1, 1); rank 1 → (d0, d0); rank 2 → (d0, d1); a convolution
/// kernel (..., in, out) → (in·r, out·r) with r the product of the leading (receptive field) extents.
///
///     compute_fans(extents<4>{3, 3, 16, 32}) == fans{.in = 144, .out = 288}
template <std::size_t Rank>
fans compute_fans(const extents<Rank>& dims) {
  if constexpr (Rank == 0) {
    return {};
  } else if constexpr (Rank == 1) {
    return {double(dims[0]), double(dims[0])};
  } else {
    double receptive_field = 1;  // in double: a product of extents cannot overflow
    for (std::size_t i = 0; i + 2 < Rank; ++i) receptive_field *= double(dims[i]);
    return {double(dims[Rank - 2]) * receptive_field, double(dims[Rank - 1]) * receptive_field};
  }
}

namespace detail {

/// The standard deviation of a standard normal truncated to [-2, 2]; Keras divides by it so that
/// the truncated samples have the standard deviation asked for.
inline constexpr double truncated_normal_stddev_ratio = 0.87962566103423978;

/// What `initialize` needs to know of the weight beyond its storage.
struct weight_extents {
  index count = 0;
  strata::fans fans;
  index rows = 1, cols = 1;  // the matrix view: (product of leading extents, last extent)
};

template <class T, class Sample>
void fill_with(T* out, index count, std::uint64_t seed, Sample&& sample) {
  std::mt19937_64 engine(seed);
  for (index i = 0; i < count; ++i) out[i] = static_cast<T>(sample(engine));
}

inline void require_finite(std::string_view initializer, std::string_view field, double value) {
  if (!std::isfinite(value))
    throw std::invalid_argument(
        fmt::format("strata: initializer {}: {} must be finite, got {}", initializer, field, value));
}

inline void require_stddev(std::string_view initializer, double mean, double stddev) {
  require_finite(initializer, "mean", mean);
  require_finite(initializer, "stddev", stddev);
  if (stddev < 0)
    throw std::invalid_argument(
        fmt::format("strata: initializer {}: stddev must be >= 0, got {}", initializer, stddev));
}

template <class T>
void fill_uniform(T* out, index count, std::uint64_t seed, double low, double high) {
  std::uniform_real_distribution<double> uniform(low, high);
  fill_with(out, count, seed, [&](std::mt19937_64& engine) { return uniform(engine); });
}

// Sampled as mean + stddev·z with z standard normal, so stddev 0 gives the mean (a
// std::normal_distribution needs stddev > 0).
template <class T>
void fill_normal(T* out, index count, std::uint64_t seed, double mean, double stddev) {
  std::normal_distribution<double> standard(0.0, 1.0);
  fill_with(out, count, seed, [&](std::mt19937_64& engine) { return mean + stddev * standard(engine); });
}

template <class T>
void fill_truncated_normal(T* out, index count, std::uint64_t seed, double mean, double stddev) {
  std::normal_distribution<double> standard(0.0, 1.0);
  fill_with(out, count, seed, [&](std::mt19937_64& engine) {
    double z = standard(engine);
    while (std::abs(z) > 2.0) z = standard(engine);
    return mean + stddev * z;
  });
}

/// Keras' VarianceScaling, of which the Glorot, He and Lecun initializers are presets.
struct variance_scaling {
  enum class fan_mode { in, out, average };
  enum class sampling { truncated_normal, untruncated_normal, uniform };
  double scale = 1;
  fan_mode mode = fan_mode::in;
  sampling distribution = sampling::truncated_normal;
};

constexpr variance_scaling variance_scaling_of(const init::GlorotUniform&) {
  return {1.0, variance_scaling::fan_mode::average, variance_scaling::sampling::uniform};
}
constexpr variance_scaling variance_scaling_of(const init::GlorotNormal&) {
  return {1.0, variance_scaling::fan_mode::average, variance_scaling::sampling::truncated_normal};
}
constexpr variance_scaling variance_scaling_of(const init::HeUniform&) {
  return {2.0, variance_scaling::fan_mode::in, variance_scaling::sampling::uniform};
}
constexpr variance_scaling variance_scaling_of(const init::HeNormal&) {
  return {2.0, variance_scaling::fan_mode::in, variance_scaling::sampling::truncated_normal};
}
constexpr variance_scaling variance_scaling_of(const init::LecunNormal&) {
  return {1.0, variance_scaling::fan_mode::in, variance_scaling::sampling::truncated_normal};
}
constexpr variance_scaling variance_scaling_of(const init::LecunUniform&) {
  return {1.0, variance_scaling::fan_mode::in, variance_scaling::sampling::uniform};
}
inline variance_scaling variance_scaling_of(const init::VarianceScaling& config) {
  using fan_mode = variance_scaling::fan_mode;
  using sampling = variance_scaling::sampling;
  variance_scaling result{config.scale};
  if (config.mode == "fan_in") result.mode = fan_mode::in;
  else if (config.mode == "fan_out") result.mode = fan_mode::out;
  else if (config.mode == "fan_avg") result.mode = fan_mode::average;
  else
    throw std::invalid_argument(fmt::format(
        "strata: initializer VarianceScaling: mode must be \"fan_in\", \"fan_out\" or \"fan_avg\", got \"{}\"", config.mode));
  // Keras 2 and TF.js call the truncated normal "normal".
  if (config.distribution == "truncated_normal" || config.distribution == "normal") result.distribution = sampling::truncated_normal;
  else if (config.distribution == "untruncated_normal") result.distribution = sampling::untruncated_normal;
  else if (config.distribution == "uniform") result.distribution = sampling::uniform;
  else
    throw std::invalid_argument(fmt::format("strata: initializer VarianceScaling: distribution must be "
                                            "\"truncated_normal\", \"normal\", \"untruncated_normal\" or \"uniform\", "
                                            "got \"{}\"",
                                            config.distribution));
  if (!std::isfinite(config.scale) || config.scale <= 0)
    throw std::invalid_argument(
        fmt::format("strata: initializer VarianceScaling: scale must be a positive number, got {}", config.scale));
  return result;
}

template <class Config>
concept variance_scaling_config = requires(const Config& config) {
  detail::variance_scaling_of(config);
};

template <class T>
void fill(const init::Zeros&, T* out, const weight_extents& weight, std::uint64_t) {
  std::fill(out, out + weight.count, T(0));
}

template <class T>
void fill(const init::Ones&, T* out, const weight_extents& weight, std::uint64_t) {
  std::fill(out, out + weight.count, T(1));
}

template <class T>
void fill(const init::Constant& config, T* out, const weight_extents& weight, std::uint64_t) {
  std::fill(out, out + weight.count, static_cast<T>(config.value));
}

template <class T>
void fill(const init::RandomNormal& config, T* out, const weight_extents& weight, std::uint64_t seed) {
  require_stddev(init::RandomNormal::class_name, config.mean, config.stddev);
  fill_normal(out, weight.count, seed, config.mean, config.stddev);
}

template <class T>
void fill(const init::TruncatedNormal& config, T* out, const weight_extents& weight, std::uint64_t seed) {
  require_stddev(init::TruncatedNormal::class_name, config.mean, config.stddev);
  fill_truncated_normal(out, weight.count, seed, config.mean, config.stddev);
}

template <class T>
void fill(const init::RandomUniform& config, T* out, const weight_extents& weight, std::uint64_t seed) {
  require_finite(init::RandomUniform::class_name, "minval", config.minval);
  require_finite(init::RandomUniform::class_name, "maxval", config.maxval);
  if (config.minval > config.maxval)
    throw std::invalid_argument(
        fmt::format("strata: initializer RandomUniform needs minval <= maxval, got minval {} and maxval {}",
                    config.minval, config.maxval));
  fill_uniform(out, weight.count, seed, config.minval, config.maxval);
}

template <variance_scaling_config Config, class T>
void fill(const Config& config, T* out, const weight_extents& weight, std::uint64_t seed) {
  const variance_scaling preset = variance_scaling_of(config);
  using fan_mode = variance_scaling::fan_mode;
  using sampling = variance_scaling::sampling;
  const double chosen_fan = preset.mode == fan_mode::in    ? weight.fans.in
                            : preset.mode == fan_mode::out ? weight.fans.out
                                                           : (weight.fans.in + weight.fans.out) / 2;
  // as Keras: at least 1, so that a weight with no elements divides by no 0
  const double variance = preset.scale / std::max(1.0, chosen_fan);
  if (preset.distribution == sampling::uniform) {
    const double limit = std::sqrt(3.0 * variance);  // uniform on ±limit has variance limit²/3
    fill_uniform(out, weight.count, seed, -limit, limit);
  } else if (preset.distribution == sampling::untruncated_normal) {
    fill_normal(out, weight.count, seed, 0.0, std::sqrt(variance));
  } else {
    fill_truncated_normal(out, weight.count, seed, 0.0, std::sqrt(variance) / truncated_normal_stddev_ratio);
  }
}

/// Keras' Orthogonal: Q of the QR decomposition of a normal (max, min) matrix, its columns'
/// signs set by diag(R) so that Q is uniform over the orthogonal matrices (not only QR's choice).
template <class T>
void fill(const init::Orthogonal& config, T* out, const weight_extents& weight, std::uint64_t seed) {
  require_finite(init::Orthogonal::class_name, "gain", config.gain);
  if (weight.count == 0) return;
  const bool transposed = weight.rows < weight.cols;
  const index tall = std::max(weight.rows, weight.cols), narrow = std::min(weight.rows, weight.cols);
  // Filled row by row from one stream, as Keras draws a (tall, narrow) row-major array.
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> normal(tall, narrow);
  fill_normal(normal.data(), normal.size(), seed, 0.0, 1.0);
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(normal);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(tall, narrow);  // the thin Q
  const auto r_diagonal = qr.matrixQR().diagonal();
  // Keras multiplies by sign(d), which is 0 for d == 0 (probability 0); 1 keeps Q orthogonal then.
  for (index j = 0; j < narrow; ++j)
    if (r_diagonal(j) < 0) q.col(j) *= -1.0;
  using row_major = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<row_major> result(out, weight.rows, weight.cols);
  if (transposed)
    result = (config.gain * q.transpose()).cast<T>();
  else
    result = (config.gain * q).cast<T>();
}

}  // namespace detail

/// Fills `weight`, whose extents are already set, as Keras' initializer `init` would. A random
/// initializer without a seed uses `fallback_seed`, so one seed makes a whole model reproducible
/// (give each weight its own fallback, or weights of equal shape start equal). A given seed gives
/// the same values on every run (with the same standard library: <random>'s distributions are
/// not specified bit for bit). Samples are drawn in double and rounded to T.
///
///     tensor<float, shape<3, 3, 16, 32>> kernel;
///     initialize(kernel, init::he_normal, 1);  // truncated normal, stddev sqrt(2 / 144)
///
/// Throws std::invalid_argument for Orthogonal on a weight of rank < 2, and for a config no
/// distribution has (a negative stddev, minval > maxval, a value that is not finite).
template <scalar T, shape_type S>
void initialize(tensor<T, S>& weight, const initializer& init, std::uint64_t fallback_seed) {
  if constexpr (S::rank < 2) {
    if (std::holds_alternative<init::Orthogonal>(init))
      throw std::invalid_argument(
          fmt::format("strata: initializer Orthogonal needs a weight of rank 2 or more (a matrix, or a kernel seen as "
                      "one), got shape {}",
                      format_dims(weight.dims())));
  }
  const detail::weight_extents layout{.count = weight.size(),
                                      .fans = compute_fans(weight.dims()),
                                      .rows = weight.canvas_cols(),
                                      .cols = weight.canvas_rows()};
  std::visit(
      [&](const auto& config) {
        std::uint64_t seed = fallback_seed;
        if constexpr (requires { config.seed; }) seed = config.seed.value_or(fallback_seed);
        detail::fill(config, weight.data(), layout, seed);
      },
      init);
}

namespace detail {

template <std::size_t... I>
std::array<initializer, sizeof...(I)> every_initializer(std::index_sequence<I...>) {
  return {initializer(std::in_place_index<I>)...};
}

/// One default-configured initializer of each kind, in the variant's order.
inline const std::array<initializer, std::variant_size_v<initializer>> default_initializers =
    every_initializer(std::make_index_sequence<std::variant_size_v<initializer>>{});

/// Other names Keras 3 accepts (keras/src/initializers/__init__.py); "OrthogonalInitializer" is
/// the class name some Keras 3 versions write.
inline const std::array<std::pair<std::string_view, initializer>, 6> initializer_aliases{{
    {"uniform", init::RandomUniform{}},
    {"normal", init::RandomNormal{}},
    {"one", init::Ones{}},
    {"zero", init::Zeros{}},
    {"OrthogonalInitializer", init::Orthogonal{}},
    {"orthogonal_initializer", init::Orthogonal{}},
}};

/// The default-configured initializer of a Keras class name, snake_case name or alias.
inline initializer initializer_named(std::string_view name) {
  for (const initializer& candidate : default_initializers) {
    const std::string_view class_name = class_name_of(candidate);
    if (name == class_name || name == snake_case(class_name)) return candidate;
  }
  for (const auto& [alias, candidate] : initializer_aliases)
    if (name == alias) return candidate;
  std::string known;
  for (const initializer& candidate : default_initializers) {
    if (!known.empty()) known += ", ";
    known += class_name_of(candidate);
  }
  throw std::invalid_argument(
      fmt::format("strata: unknown initializer \"{}\"; known initializers are {} (also by their snake_case names, such "
                  "as \"glorot_uniform\")",
                  name, known));
}

inline std::string describe_json(const nlohmann::json& value) {
  return fmt::format("{} {}", value.type_name(), value.dump());
}

inline void read_field(std::string_view initializer, const char* field, const nlohmann::json& value, double& out) {
  if (!value.is_number())
    throw std::invalid_argument(fmt::format("strata: initializer {}: config field \"{}\" must be a number, got {}",
                                            initializer, field, describe_json(value)));
  out = value.get<double>();
}

inline void read_field(std::string_view initializer, const char* field, const nlohmann::json& value, std::string& out) {
  if (!value.is_string())
    throw std::invalid_argument(fmt::format("strata: initializer {}: config field \"{}\" must be a string, got {}",
                                            initializer, field, describe_json(value)));
  out = value.get<std::string>();
}

inline void read_field(std::string_view initializer, const char* field, const nlohmann::json& value,
                       std::optional<std::uint64_t>& out) {
  if (value.is_null()) {
    out.reset();
  } else if (value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
    out = value.get<std::uint64_t>();
  } else {
    throw std::invalid_argument(
        fmt::format("strata: initializer {}: config field \"{}\" must be an integer >= 0 or null, got {}", initializer,
                    field, describe_json(value)));
  }
}

}  // namespace detail

/// Keras' JSON of an initializer, its config keys being the reflected fields:
/// `{"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 1.0, "seed": 3}}`.
inline void to_json(nlohmann::json& json, const initializer& init) {
  std::visit(
      [&](const auto& config) {
        nlohmann::json fields = nlohmann::json::object();
        for_each_field(config, [&](const char* name, const auto& value) {
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, std::optional<std::uint64_t>>)
            fields[name] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
          else
            fields[name] = value;
        });
        json = {{"class_name", std::remove_cvref_t<decltype(config)>::class_name}, {"config", std::move(fields)}};
      },
      init);
}

/// Reads Keras' JSON of an initializer: the object `to_json` writes (config keys missing take
/// Keras' defaults, unknown ones are ignored), or a bare name as Keras accepts for
/// `kernel_initializer`: "glorot_uniform", "GlorotUniform", ... Throws std::invalid_argument
/// naming what is wrong: an unknown class name (listing the known ones), or a config field of the
/// wrong type (naming the initializer, the field and what it must be).
inline void from_json(const nlohmann::json& json, initializer& init) {
  if (json.is_string()) {
    init = detail::initializer_named(json.get_ref<const std::string&>());
    return;
  }
  if (!json.is_object())
    throw std::invalid_argument(fmt::format(
        "strata: an initializer is a name or an object {{\"class_name\": ..., \"config\": {{...}}}}, got {}",
        detail::describe_json(json)));
  const auto class_name = json.find("class_name");
  if (class_name == json.end() || !class_name->is_string())
    throw std::invalid_argument(
        fmt::format("strata: an initializer object needs a string \"class_name\", got {}", json.dump()));
  initializer result = detail::initializer_named(class_name->get_ref<const std::string&>());
  if (const auto config = json.find("config"); config != json.end()) {
    if (!config->is_object())
      throw std::invalid_argument(fmt::format("strata: initializer {}: \"config\" must be an object, got {}",
                                              class_name_of(result), detail::describe_json(*config)));
    std::visit(
        [&](auto& fields) {
          for_each_field(fields, [&](const char* name, auto& value) {
            if (const auto found = config->find(name); found != config->end())
              detail::read_field(class_name_of(result), name, *found, value);
          });
        },
        result);
  }
  init = std::move(result);
}

}  // namespace strata

namespace strata::init {
// The alternatives of `initializer` live here, so this is where nlohmann's argument-dependent
// lookup looks: `nlohmann::json j = init;` and `j.get<strata::initializer>()` work too.
using strata::from_json;
using strata::to_json;
}  // namespace strata::init

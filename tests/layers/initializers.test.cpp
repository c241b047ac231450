// Tests of strata/layers/initializers.hpp: Keras' fans, the values each initializer draws (bounds,
// mean, standard deviation, orthogonality), seeds, and the JSON form.

#include "support/strata_test.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <strata/layers/initializers.hpp>

namespace st = strata;
namespace init = strata::init;
using st::dyn;
using st::extents;
using st::shape;
using json = nlohmann::json;

namespace {

using matrix = st::tensor<double, shape<dyn, dyn>>;

struct moments {
  double mean = 0, stddev = 0, min = 0, max = 0;
};

template <class Tensor>
moments sample_moments(const Tensor& t) {
  double sum = 0, sum_squares = 0;
  for (const double value : t) sum += value;
  const double mean = sum / double(t.size());
  for (const double value : t) sum_squares += (value - mean) * (value - mean);
  const auto [min, max] = std::minmax_element(t.begin(), t.end());
  return {mean, std::sqrt(sum_squares / double(t.size() - 1)), double(*min), double(*max)};
}

template <class Tensor>
Tensor initialized(typename Tensor::extents_type dims, const st::initializer& init, std::uint64_t fallback_seed) {
  Tensor weight(dims);
  st::initialize(weight, init, fallback_seed);
  return weight;
}

/// One initializer of every kind, none with its default config where it has fields.
std::vector<st::initializer> every_kind_of_initializer() {
  return {init::Zeros{},
          init::Ones{},
          init::Constant{.value = 2.5},
          init::RandomNormal{.mean = 1.0, .stddev = 0.5, .seed = 3},
          init::RandomUniform{.minval = -1.0, .maxval = 2.0, .seed = 4},
          init::TruncatedNormal{.mean = -1.0, .stddev = 0.25, .seed = 5},
          init::GlorotUniform{.seed = 6},
          init::GlorotNormal{.seed = 7},
          init::HeUniform{.seed = 8},
          init::HeNormal{.seed = 9},
          init::LecunNormal{.seed = 10},
          init::LecunUniform{.seed = 11},
          init::Orthogonal{.gain = 3.0, .seed = 12},
          init::VarianceScaling{.scale = 0.5, .mode = "fan_avg", .distribution = "uniform", .seed = 13}};
}

/// The message of the std::invalid_argument that `action` throws; "" if it throws none.
template <class Action>
std::string error_message(Action&& action) {
  try {
    action();
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("init: compute_fans follows Keras for ranks 0, 1, 2 and 4", "[initializers]") {
  CHECK(st::compute_fans(extents<0>{}) == st::fans{1, 1});
  CHECK(st::compute_fans(extents<1>{7}) == st::fans{7, 7});
  CHECK(st::compute_fans(extents<2>{3, 5}) == st::fans{3, 5});
  // a Conv2D kernel (kernel height, kernel width, input channels, filters): receptive field 3·3
  CHECK(st::compute_fans(extents<4>{3, 3, 16, 32}) == st::fans{144, 288});
  CHECK(st::compute_fans(extents<3>{5, 2, 4}) == st::fans{10, 20});
}

TEST_CASE("init: zeros, ones and constant fill every element", "[initializers]") {
  auto weight = st::tensor<float, shape<dyn, 3>>::full({4, 3}, 9.0f);
  st::initialize(weight, init::zeros, 1);
  CHECK(std::all_of(weight.begin(), weight.end(), [](float v) { return v == 0.0f; }));
  st::initialize(weight, init::ones, 1);
  CHECK(std::all_of(weight.begin(), weight.end(), [](float v) { return v == 1.0f; }));
  st::initialize(weight, init::Constant{.value = -2.5}, 1);
  CHECK(std::all_of(weight.begin(), weight.end(), [](float v) { return v == -2.5f; }));
  st::initialize(weight, init::constant, 1);
  CHECK(std::all_of(weight.begin(), weight.end(), [](float v) { return v == 0.0f; }));

  st::tensor<double, shape<>> scalar;
  st::initialize(scalar, init::Constant{.value = 4.0}, 1);
  CHECK(scalar.item() == 4.0);
}

TEST_CASE("init: random initializers draw within Keras' bounds, with its mean and standard deviation",
          "[initializers]") {
  // Dense kernel (256, 512): fan_in 256, fan_out 512, fan_avg 384.
  const double truncation = 0.87962566103423978;  // stddev of a standard normal truncated to ±2
  struct expectation {
    st::initializer init;
    double mean, stddev, low, high;  // the samples lie in [low, high] and come close to both
  };
  const auto uniform = [](st::initializer init, double limit) {
    return expectation{init, 0.0, limit / std::sqrt(3.0), -limit, limit};
  };
  const auto truncated = [&](st::initializer init, double mean, double stddev) {
    // stddev is the one after truncation; the bound is 2 of the normal's before it
    return expectation{init, mean, stddev, mean - 2 * stddev / truncation, mean + 2 * stddev / truncation};
  };
  const std::vector<expectation> expectations{
      {init::RandomUniform{.minval = -0.2, .maxval = 0.6}, 0.2, 0.8 / std::sqrt(12.0), -0.2, 0.6},
      {init::random_uniform, 0.0, 0.1 / std::sqrt(12.0), -0.05, 0.05},
      truncated(init::TruncatedNormal{.mean = 1.0, .stddev = 0.5}, 1.0, 0.5 * truncation),
      truncated(init::truncated_normal, 0.0, 0.05 * truncation),
      uniform(init::glorot_uniform, std::sqrt(6.0 / 768)),
      truncated(init::glorot_normal, 0.0, std::sqrt(2.0 / 768)),
      uniform(init::he_uniform, std::sqrt(6.0 / 256)),
      truncated(init::he_normal, 0.0, std::sqrt(2.0 / 256)),
      uniform(init::lecun_uniform, std::sqrt(3.0 / 256)),
      truncated(init::lecun_normal, 0.0, std::sqrt(1.0 / 256)),
      uniform(init::VarianceScaling{.scale = 2.0, .mode = "fan_out", .distribution = "uniform"}, std::sqrt(6.0 / 512)),
      truncated(init::VarianceScaling{.mode = "fan_avg", .distribution = "normal"}, 0.0, std::sqrt(1.0 / 384)),
  };
  for (const expectation& expected : expectations) {
    INFO(st::class_name_of(expected.init));
    const auto m = sample_moments(initialized<matrix>({256, 512}, expected.init, 17));
    CHECK(m.min >= expected.low);
    CHECK(m.max <= expected.high);
    CHECK(m.min == Approx(expected.low).margin(0.01 * (expected.high - expected.low)));
    CHECK(m.max == Approx(expected.high).margin(0.01 * (expected.high - expected.low)));
    CHECK(m.mean == Approx(expected.mean).margin(0.02 * expected.stddev));
    CHECK(m.stddev == Approx(expected.stddev).epsilon(0.02));
  }

  SECTION("VarianceScaling's untruncated normal has no bounds, and its presets draw as the named ones") {
    const auto m = sample_moments(
        initialized<matrix>({256, 512}, init::VarianceScaling{.scale = 0.5, .distribution = "untruncated_normal"}, 17));
    CHECK(m.stddev == Approx(std::sqrt(0.5 / 256)).epsilon(0.02));
    CHECK(m.max > 4 * std::sqrt(0.5 / 256));
    const auto general = initialized<matrix>(
        {8, 4}, init::VarianceScaling{.mode = "fan_avg", .distribution = "uniform", .seed = 9}, 1);
    const auto named = initialized<matrix>({8, 4}, init::GlorotUniform{.seed = 9}, 1);
    CHECK(std::equal(general.begin(), general.end(), named.begin()));
  }
  SECTION("VarianceScaling rejects a mode, distribution or scale Keras has not") {
    CHECK_THROWS_WITH(initialized<matrix>({2, 2}, init::VarianceScaling{.mode = "fan_sum"}, 1),
                      Catch::Contains("VarianceScaling: mode must be \"fan_in\", \"fan_out\" or \"fan_avg\", got \"fan_sum\""));
    CHECK_THROWS_WITH(initialized<matrix>({2, 2}, init::VarianceScaling{.distribution = "cauchy"}, 1),
                      Catch::Contains("distribution must be"));
    CHECK_THROWS_WITH(initialized<matrix>({2, 2}, init::VarianceScaling{.scale = -1}, 1),
                      Catch::Contains("scale must be a positive number"));
  }
  SECTION("RandomNormal has no bounds") {
    const auto m = sample_moments(initialized<matrix>({256, 512}, init::RandomNormal{.mean = 1.0, .stddev = 0.5}, 17));
    CHECK(m.mean == Approx(1.0).margin(0.01));
    CHECK(m.stddev == Approx(0.5).epsilon(0.02));
    CHECK(m.max > 1.0 + 4 * 0.5);  // 131072 normal samples: some lie beyond 4 stddev
  }
  SECTION("a convolution kernel scales by its receptive field") {
    // (3, 3, 64, 32): fan_in 576, fan_out 288
    using kernel = st::tensor<double, shape<3, 3, 64, 32>>;
    const auto he = sample_moments(initialized<kernel>({3, 3, 64, 32}, init::he_normal, 2));
    CHECK(he.stddev == Approx(std::sqrt(2.0 / 576)).epsilon(0.03));
    const auto glorot = sample_moments(initialized<kernel>({3, 3, 64, 32}, init::glorot_uniform, 3));
    CHECK(glorot.max <= std::sqrt(6.0 / 864));
    CHECK(glorot.max == Approx(std::sqrt(6.0 / 864)).epsilon(0.01));
  }
  SECTION("a standard deviation of 0 gives the mean") {
    const auto m = sample_moments(initialized<matrix>({4, 4}, init::TruncatedNormal{.mean = 3.0, .stddev = 0.0}, 1));
    CHECK(m.min == 3.0);
    CHECK(m.max == 3.0);
  }
  SECTION("a config no distribution has throws") {
    CHECK_THROWS_WITH(initialized<matrix>({2, 2}, init::RandomNormal{.stddev = -1.0}, 1),
                      Catch::Contains("RandomNormal") && Catch::Contains("stddev"));
    CHECK_THROWS_WITH(initialized<matrix>({2, 2}, init::RandomUniform{.minval = 1.0, .maxval = 0.0}, 1),
                      Catch::Contains("RandomUniform") && Catch::Contains("minval <= maxval"));
    CHECK_NOTHROW(initialized<matrix>({2, 2}, init::RandomUniform{.minval = 1.0, .maxval = 1.0}, 1));
  }
}

TEST_CASE("init: Orthogonal gives orthonormal columns, or rows when wider than tall, times gain", "[initializers]") {
  SECTION("(6, 4): WᵀW = gain²·I") {
    const auto w = initialized<matrix>({6, 4}, init::Orthogonal{.gain = 2.0}, 5);
    const Eigen::MatrixXd product = w.matrix().transpose() * w.matrix();
    CHECK(product.isApprox(4.0 * Eigen::MatrixXd::Identity(4, 4), 1e-12));
  }
  SECTION("(4, 6): WWᵀ = gain²·I") {
    const auto w = initialized<matrix>({4, 6}, init::Orthogonal{.gain = 2.0}, 5);
    const Eigen::MatrixXd product = w.matrix() * w.matrix().transpose();
    CHECK(product.isApprox(4.0 * Eigen::MatrixXd::Identity(4, 4), 1e-12));
  }
  SECTION("(2, 3, 4) is seen as (6, 4)") {
    const auto w = initialized<st::tensor<double, shape<2, 3, 4>>>({2, 3, 4}, init::orthogonal, 6);
    const Eigen::MatrixXd product = w.matrix().transpose() * w.matrix();
    CHECK(product.isApprox(Eigen::MatrixXd::Identity(4, 4), 1e-12));
  }
  SECTION("square, in float") {
    const auto w = initialized<st::tensor<float, shape<8, 8>>>({8, 8}, init::orthogonal, 7);
    const Eigen::MatrixXf product = w.matrix().transpose() * w.matrix();
    CHECK(product.isApprox(Eigen::MatrixXf::Identity(8, 8), 1e-5f));
  }
  SECTION("rank below 2 throws, naming the shape") {
    st::tensor<double, shape<5>> bias;
    CHECK_THROWS_AS(st::initialize(bias, init::orthogonal, 1), std::invalid_argument);
    CHECK_THROWS_WITH(st::initialize(bias, init::orthogonal, 1),
                      Catch::Contains("Orthogonal") && Catch::Contains("(5,)"));
  }
}

TEST_CASE("init: a seed fixes the values; an unset seed uses the fallback seed", "[initializers]") {
  for (const st::initializer& seeded : every_kind_of_initializer()) {
    INFO(st::class_name_of(seeded));
    const auto first = initialized<matrix>({16, 8}, seeded, 1), second = initialized<matrix>({16, 8}, seeded, 2);
    CHECK(std::equal(first.begin(), first.end(), second.begin()));
  }
  const auto a = initialized<matrix>({16, 8}, init::GlorotUniform{.seed = 1}, 99);
  const auto b = initialized<matrix>({16, 8}, init::GlorotUniform{.seed = 1}, 100);
  const auto c = initialized<matrix>({16, 8}, init::GlorotUniform{.seed = 2}, 99);
  CHECK(std::equal(a.begin(), a.end(), b.begin()));
  CHECK(!std::equal(a.begin(), a.end(), c.begin()));

  const auto fallback = initialized<matrix>({16, 8}, init::glorot_uniform, 1);
  CHECK(std::equal(a.begin(), a.end(), fallback.begin()));
  const auto other_fallback = initialized<matrix>({16, 8}, init::glorot_uniform, 2);
  CHECK(!std::equal(a.begin(), a.end(), other_fallback.begin()));

  // float weights hold the double samples, rounded
  const auto single = initialized<st::tensor<float, shape<16, 8>>>({16, 8}, init::glorot_uniform, 1);
  for (st::index i = 0; i < a.size(); ++i) CHECK(single.data()[i] == static_cast<float>(a.data()[i]));
}

TEST_CASE("init: class_name_of gives Keras' class name", "[initializers]") {
  const std::vector<std::string> expected{
      "Zeros",        "Ones",      "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "GlorotUniform",
      "GlorotNormal", "HeUniform", "HeNormal", "LecunNormal",  "LecunUniform",  "Orthogonal", "VarianceScaling"};
  const auto all = every_kind_of_initializer();
  REQUIRE(all.size() == expected.size());
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(st::class_name_of(all[i]) == expected[i]);
  CHECK(st::class_name_of(init::he_normal) == "HeNormal");
}

TEST_CASE("init: the JSON of every initializer reads back to an equal config", "[initializers][json]") {
  for (const st::initializer& original : every_kind_of_initializer()) {
    INFO(st::class_name_of(original));
    json j;
    st::to_json(j, original);
    CHECK(j["class_name"] == st::class_name_of(original));
    st::initializer read = init::ones;
    st::from_json(j, read);
    CHECK(read == original);

    // the same through nlohmann's own conversions
    const json converted = original;
    CHECK(converted == j);
    CHECK(converted.get<st::initializer>() == original);
  }
  json j;
  st::to_json(j, init::RandomUniform{});
  CHECK(j["config"] == json{{"minval", -0.05}, {"maxval", 0.05}, {"seed", nullptr}});
  st::to_json(j, init::Orthogonal{});
  CHECK(j["config"] == json{{"gain", 1.0}, {"seed", nullptr}});
  st::to_json(j, init::zeros);
  CHECK(j == json::parse(R"({"class_name": "Zeros", "config": {}})"));
  // TF.js writes glorotUniform this way
  CHECK(json::parse(R"({"class_name": "VarianceScaling",
                        "config": {"scale": 1, "mode": "fan_avg", "distribution": "uniform", "seed": 9}})")
            .get<st::initializer>() ==
        st::initializer(init::VarianceScaling{.mode = "fan_avg", .distribution = "uniform", .seed = 9}));
  CHECK_THROWS_WITH(json::parse(R"({"class_name": "VarianceScaling", "config": {"mode": 2}})").get<st::initializer>(),
                    Catch::Contains("\"mode\" must be a string"));
}

TEST_CASE("init: the JSON is Keras' own", "[initializers][json]") {
  json j;
  st::to_json(j, init::GlorotUniform{});
  CHECK(j == json::parse(R"({"class_name": "GlorotUniform", "config": {"seed": null}})"));
  CHECK(j.dump() == R"({"class_name":"GlorotUniform","config":{"seed":null}})");
  st::to_json(j, init::RandomNormal{.stddev = 1.0, .seed = 3});
  CHECK(j == json::parse(R"({"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 1.0, "seed": 3}})"));

  // as Keras 3 writes it, with keys strata does not use
  st::initializer read;
  st::from_json(json::parse(R"({"module": "keras.initializers", "class_name": "TruncatedNormal",
                                "config": {"mean": 0, "stddev": 0.02, "seed": null, "dtype": "float32"},
                                "registered_name": null})"),
                read);
  CHECK(read == st::initializer(init::TruncatedNormal{.mean = 0.0, .stddev = 0.02}));
  // missing config keys keep Keras' defaults; no config at all is the default config
  st::from_json(json::parse(R"({"class_name": "RandomUniform", "config": {"maxval": 1}})"), read);
  CHECK(read == st::initializer(init::RandomUniform{.maxval = 1.0}));
  st::from_json(json::parse(R"({"class_name": "Orthogonal"})"), read);
  CHECK(read == st::initializer(init::orthogonal));
}

TEST_CASE("init: Keras' string names are accepted", "[initializers][json]") {
  const std::vector<std::pair<std::string, st::initializer>> names{
      {"zeros", init::zeros},
      {"ones", init::ones},
      {"constant", init::constant},
      {"random_normal", init::random_normal},
      {"random_uniform", init::random_uniform},
      {"truncated_normal", init::truncated_normal},
      {"glorot_uniform", init::glorot_uniform},
      {"glorot_normal", init::glorot_normal},
      {"he_uniform", init::he_uniform},
      {"he_normal", init::he_normal},
      {"lecun_normal", init::lecun_normal},
      {"lecun_uniform", init::lecun_uniform},
      {"orthogonal", init::orthogonal},
      {"GlorotUniform", init::glorot_uniform},
      {"HeNormal", init::he_normal},
      {"uniform", init::random_uniform},
      {"normal", init::random_normal},
      {"OrthogonalInitializer", init::orthogonal},
  };
  for (const auto& [name, expected] : names) {
    INFO(name);
    st::initializer read = init::Constant{.value = 1.0};
    st::from_json(json(name), read);
    CHECK(read == expected);
    st::from_json(json{{"class_name", name}, {"config", json::object()}}, read);
    CHECK(read == expected);
  }
}

TEST_CASE("init: an unknown initializer name is an error listing the known class names", "[initializers][json]") {
  st::initializer read = init::ones;
  CHECK_THROWS_AS(st::from_json(json("GlorotUniforn"), read), std::invalid_argument);
  for (const json& unknown : {json("GlorotUniforn"), json{{"class_name", "GlorotUniforn"}}}) {
    INFO(unknown.dump());
    const std::string message = error_message([&] { st::from_json(unknown, read); });
    CHECK_THAT(message, Catch::Contains("\"GlorotUniforn\""));
    for (const st::initializer& known : every_kind_of_initializer())
      CHECK_THAT(message, Catch::Contains(std::string(st::class_name_of(known))));
  }
  CHECK(read == st::initializer(init::ones));  // unchanged by a failed read

  CHECK_THROWS_WITH(st::from_json(json(3), read), Catch::Contains("class_name") && Catch::Contains("number 3"));
  CHECK_THROWS_WITH(st::from_json(json{{"config", json::object()}}, read), Catch::Contains("\"class_name\""));
}

TEST_CASE("init: a config field of the wrong type is an error naming the initializer and the field",
          "[initializers][json]") {
  st::initializer read = init::ones;
  CHECK_THROWS_AS(st::from_json(json::parse(R"({"class_name": "RandomNormal", "config": {"stddev": "big"}})"), read),
                  std::invalid_argument);
  CHECK_THROWS_WITH(st::from_json(json::parse(R"({"class_name": "RandomNormal", "config": {"stddev": "big"}})"), read),
                    Catch::Contains("RandomNormal") && Catch::Contains("\"stddev\"") &&
                        Catch::Contains("must be a number") && Catch::Contains("\"big\""));
  CHECK_THROWS_WITH(st::from_json(json::parse(R"({"class_name": "Constant", "config": {"value": true}})"), read),
                    Catch::Contains("Constant") && Catch::Contains("\"value\"") && Catch::Contains("must be a number"));
  for (const char* seed : {"-1", "1.5", "\"7\"", "{}"}) {
    INFO(seed);
    CHECK_THROWS_WITH(
        st::from_json(json::parse(std::string(R"({"class_name": "HeUniform", "config": {"seed": )") + seed + "}}"),
                      read),
        Catch::Contains("HeUniform") && Catch::Contains("\"seed\"") && Catch::Contains("integer >= 0 or null"));
  }
  CHECK_THROWS_WITH(st::from_json(json::parse(R"({"class_name": "HeUniform", "config": [1]})"), read),
                    Catch::Contains("HeUniform") && Catch::Contains("\"config\" must be an object"));
  CHECK(read == st::initializer(init::ones));
}

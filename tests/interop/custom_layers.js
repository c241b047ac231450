// TF.js versions of the seed document's three Keras custom layers (strata: examples/layers/*.hpp).
// TF.js camel-cases config keys when it loads a model.json (scale_factor -> scaleFactor) and
// snake-cases getConfig() keys when it saves, so constructors accept either spelling and getConfig
// returns the snake_case keys that Keras and strata write.
const tf = require('./tf');

// args.scaleFactor ?? args.scale_factor ?? fallback
const option = (args, snake, fallback) => {
  const camel = snake.replace(/_(.)/g, (_, c) => c.toUpperCase());
  return args[camel] ?? args[snake] ?? fallback;
};
const single = (inputs) => (Array.isArray(inputs) ? inputs[0] : inputs);
const last = (shape) => shape[shape.length - 1];

// out = scale_factor * exp(x * exponent), one exponent per feature.
class ScaledExponential extends tf.layers.Layer {
  constructor(args = {}) {
    super(args);
    this.scaleFactor = option(args, 'scale_factor', 1);
  }
  build(inputShape) {
    this.exponent = this.addWeight('exponent', [last(inputShape)], 'float32', tf.initializers.ones());
    this.built = true;
  }
  call(inputs) {
    return tf.tidy(() => tf.mul(this.scaleFactor, tf.exp(tf.mul(single(inputs), this.exponent.read()))));
  }
  getConfig() {
    return { ...super.getConfig(), scale_factor: this.scaleFactor };
  }
}
ScaledExponential.className = 'ScaledExponential';

// out = sum(clip(x, clip_min, clip_max) . W + b, axis -1, keepdims): shape (..., 1).
class ClippingWeightedSum extends tf.layers.Layer {
  constructor(args = {}) {
    super(args);
    this.clipMin = option(args, 'clip_min', -1);
    this.clipMax = option(args, 'clip_max', 1);
    this.numFilters = option(args, 'num_filters', 32);
  }
  build(inputShape) {
    this.weightMatrix = this.addWeight('weight_matrix', [last(inputShape), this.numFilters], 'float32',
                                       tf.initializers.glorotUniform({}));
    this.bias = this.addWeight('bias', [this.numFilters], 'float32', tf.initializers.zeros());
    this.built = true;
  }
  computeOutputShape(inputShape) {
    return [...inputShape.slice(0, -1), 1];
  }
  call(inputs) {
    return tf.tidy(() => {
      const clipped = tf.clipByValue(single(inputs), this.clipMin, this.clipMax);
      const linear = tf.add(tf.matMul(clipped, this.weightMatrix.read()), this.bias.read());
      return tf.sum(linear, -1, true);
    });
  }
  getConfig() {
    return { ...super.getConfig(), clip_min: this.clipMin, clip_max: this.clipMax, num_filters: this.numFilters };
  }
}
ClippingWeightedSum.className = 'ClippingWeightedSum';

// Single-head attention over (batch, seq, features): softmax(q . k^T) . v, no 1/sqrt(d) scaling.
class CustomAttention extends tf.layers.Layer {
  constructor(args = {}) {
    super(args);
    this.attentionSize = option(args, 'attention_size', undefined);
    if (this.attentionSize === undefined) throw new Error('CustomAttention needs attention_size');
  }
  build(inputShape) {
    if (inputShape.length !== 3) throw new Error(`CustomAttention needs rank-3 input, got [${inputShape}]`);
    const projection = (name) => this.addWeight(name, [last(inputShape), this.attentionSize], 'float32',
                                                tf.initializers.glorotUniform({}));
    this.queryProjection = projection('query_projection');
    this.keyProjection = projection('key_projection');
    this.valueProjection = projection('value_projection');
    this.built = true;
  }
  computeOutputShape(inputShape) {
    return [...inputShape.slice(0, -1), this.attentionSize];
  }
  call(inputs) {
    return tf.tidy(() => {
      const x = single(inputs);
      const query = tf.matMul(x, this.queryProjection.read());
      const key = tf.matMul(x, this.keyProjection.read());
      const value = tf.matMul(x, this.valueProjection.read());
      const scores = tf.matMul(query, key, false, true); // per example: (seq, seq)
      return tf.matMul(tf.softmax(scores, -1), value);
    });
  }
  getConfig() {
    return { ...super.getConfig(), attention_size: this.attentionSize };
  }
}
CustomAttention.className = 'CustomAttention';

for (const cls of [ScaledExponential, ClippingWeightedSum, CustomAttention]) tf.serialization.registerClass(cls);

module.exports = { ScaledExponential, ClippingWeightedSum, CustomAttention };

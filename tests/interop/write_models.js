// node write_models.js OUT_DIR
// Builds the interop cases in TF.js and saves each as OUT_DIR/<case>/{model/, input.json,
// expected.json}, expected.json being TF.js's own prediction, for strata to load and check.
const fs = require('fs');
const path = require('path');
const tf = require('./tf');
const { ScaledExponential, ClippingWeightedSum, CustomAttention } = require('./custom_layers');
const { writeModelDir, writeTensorJson } = require('./model_dir');

const BATCH = 3;

// mulberry32: a tiny seeded generator, so inputs and hand-set weights are the same on every run.
let state = 20240601;
function random() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const size = (shape) => shape.reduce((a, b) => a * b, 1);
// Multiples of 1/1024: exact in float32 and short in JSON, so both sides read the same inputs.
const uniform = (shape, lo, hi) =>
  tf.tensor(Array.from({ length: size(shape) }, () => Math.round((lo + (hi - lo) * random()) * 1024) / 1024), shape);
const indices = (shape, n) => tf.tensor(Array.from({ length: size(shape) }, () => Math.floor(random() * n)), shape);
// Overwrites a layer's weights (in layer.weights order) with uniform values from the given ranges.
const setUniform = (layer, ranges) => layer.setWeights(layer.weights.map((w, i) => uniform(w.shape, ...ranges[i])));

// Dense with seeded initializers; a non-zero bias so a dropped bias would show.
let seed = 1;
const dense = (units, name, extra = {}) => tf.layers.dense({
  units, name, ...extra,
  kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }),
  biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed++ }),
});

// Each case: input shape without the batch, the layers, and an optional step after building.
const CASES = {
  mlp: { input: [8], layers: () => [
    dense(16, 'dense', { activation: 'relu', inputShape: [8] }),
    dense(12, 'dense_1', { activation: 'tanh' }),
    dense(4, 'dense_2', { activation: 'softmax' }),
  ] },
  // Sign-keeping activations first, so elu/selu/swish/gelu still see negative values before
  // softplus/sigmoid/relu make everything positive. (relu's negative side is covered by mlp.)
  activations: { input: [6], layers: () => [
    dense(6, 'dense', { inputShape: [6] }),
    ...['linear', 'tanh', 'elu', 'selu', 'swish', 'gelu', 'softplus', 'sigmoid', 'relu', 'softmax'].map(
      (activation, i) => tf.layers.activation({ activation, name: i ? `activation_${i}` : 'activation' })),
  ] },
  normalization: { input: [6], layers: () => [
    dense(8, 'dense', { inputShape: [6] }),
    tf.layers.layerNormalization({ name: 'layer_normalization' }),
    tf.layers.batchNormalization({ name: 'batch_normalization' }),
    dense(3, 'dense_1'),
  ], setup: (m) => {
    setUniform(m.getLayer('layer_normalization'), [[0.5, 1.5], [-0.3, 0.3]]); // gamma, beta
    // gamma, beta, moving_mean, moving_variance: far from the 1, 0, 0, 1 defaults.
    setUniform(m.getLayer('batch_normalization'), [[0.5, 1.5], [-0.3, 0.3], [-0.5, 0.5], [0.5, 2]]);
  } },
  dropout: { input: [5], layers: () => [
    dense(7, 'dense', { activation: 'relu', inputShape: [5] }),
    tf.layers.dropout({ rate: 0.3, name: 'dropout' }),
    dense(2, 'dense_1'),
  ] },
  embedding: { input: [5], indices: 20, layers: () => [
    tf.layers.embedding({ inputDim: 20, outputDim: 4, name: 'embedding', inputShape: [5],
                          embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed++ }) }),
    tf.layers.flatten({ name: 'flatten' }),
    dense(2, 'dense'),
  ] },
  custom: { input: [4], layers: () => [
    new ScaledExponential({ scaleFactor: 0.5, name: 'scaled_exponential', inputShape: [4] }),
    new ClippingWeightedSum({ clipMin: -0.5, clipMax: 0.8, numFilters: 3, name: 'clipping_weighted_sum' }),
  ], setup: (m) => {
    m.getLayer('scaled_exponential').setWeights([tf.tensor([0.3, 0.6, 0.9, 1.2])]);
    setUniform(m.getLayer('clipping_weighted_sum'), [[-1, 1], [-0.5, 0.5]]); // weight_matrix, bias
  } },
  attention: { input: [5, 4], layers: () => [
    new CustomAttention({ attentionSize: 6, name: 'custom_attention', inputShape: [5, 4] }),
  ], setup: (m) => setUniform(m.getLayer('custom_attention'), [[-0.7, 0.7], [-0.7, 0.7], [-0.7, 0.7]]) },
  // 1100 * 1024 float32 weights > 4 MiB: saved as two shards.
  large: { input: [1100], layers: () => [dense(1024, 'dense', { inputShape: [1100] })] },
};

async function writeCase(dir, name, { input, indices: n, layers, setup }) {
  const model = tf.sequential({ name, layers: layers() });
  if (setup) setup(model);
  const x = n ? indices([BATCH, ...input], n) : uniform([BATCH, ...input], -1, 1);
  const y = model.predict(x);
  fs.rmSync(dir, { recursive: true, force: true });
  // A custom save handler: file:// needs tfjs-node.
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    writeModelDir(path.join(dir, 'model'), artifacts);
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  writeTensorJson(path.join(dir, 'input.json'), x);
  writeTensorJson(path.join(dir, 'expected.json'), y);
  const shards = fs.readdirSync(path.join(dir, 'model')).filter((f) => f.endsWith('.bin')).length;
  console.log(`${name}: output [${y.shape}], ${model.countParams()} weights, ${shards} shard(s)`);
}

async function main() {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node write_models.js OUT_DIR');
  for (const [name, spec] of Object.entries(CASES)) await writeCase(path.join(out, name), name, spec);
}

main().then(() => process.exit(0), (err) => { console.error(err.stack || err.message); process.exit(1); });

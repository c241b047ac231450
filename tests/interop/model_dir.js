// Reads and writes the TF.js layers-model folder format (model.json + group1-shard{i}of{n}.bin) and
// the {shape, data} tensor JSON files. tfjs-node is absent, so file:// loading is unavailable; these
// functions produce / consume ModelArtifacts for custom IO handlers instead.
const fs = require('fs');
const path = require('path');
const tf = require('./tf');

const SHARD_BYTES = 4 * 1024 * 1024; // the TF.js converter's default shard size

function readModelDir(dir) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  // Keras' converter nests the model under model_config; TF.js writes it flat.
  const t = json.modelTopology;
  const modelTopology = t.model_config ? { ...t.model_config, keras_version: t.keras_version, backend: t.backend } : t;
  const groups = json.weightsManifest || [];
  const shards = groups.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const bytes = Buffer.concat(shards);
  const weightSpecs = groups.flatMap((g) => g.weights);
  // TF.js ignores surplus bytes, so check the writer's arithmetic here (4 bytes per float32).
  if (shards.some((s) => s.length > SHARD_BYTES)) throw new Error(`${dir}: a shard exceeds 4 MiB`);
  const needed = weightSpecs.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  if (weightSpecs.every((w) => w.dtype === 'float32') && bytes.length !== needed) {
    throw new Error(`${dir}: shards hold ${bytes.length} bytes, the manifest needs ${needed}`);
  }
  return {
    modelTopology,
    weightSpecs,
    // Copy into a fresh ArrayBuffer: a Buffer may be a view into a larger shared pool.
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
}

function writeModelDir(dir, artifacts) {
  fs.mkdirSync(dir, { recursive: true });
  // weightData may be one ArrayBuffer or a list of them.
  const bytes = Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData || new ArrayBuffer(0)));
  const n = Math.ceil(bytes.length / SHARD_BYTES);
  const paths = [];
  for (let i = 0; i < n; i++) {
    const name = `group1-shard${i + 1}of${n}.bin`;
    fs.writeFileSync(path.join(dir, name), bytes.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES));
    paths.push(name);
  }
  const json = {
    format: artifacts.format || 'layers-model',
    generatedBy: artifacts.generatedBy || null,
    convertedBy: artifacts.convertedBy || null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs || [] }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json, null, 2) + '\n');
}

function readTensorJson(file) {
  const { shape, data } = JSON.parse(fs.readFileSync(file, 'utf8'));
  return tf.tensor(data, shape, 'float32');
}

function writeTensorJson(file, tensor) {
  // float32 values print as their exact double value, so the file round-trips bit for bit.
  const json = { shape: tensor.shape, data: Array.from(tensor.dataSync()) };
  fs.writeFileSync(file, JSON.stringify(json) + '\n');
}

module.exports = { readModelDir, writeModelDir, readTensorJson, writeTensorJson, SHARD_BYTES };

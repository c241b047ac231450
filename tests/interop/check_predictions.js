// node check_predictions.js CASES_DIR [--expect name,name,...]
// For every case folder CASES_DIR/<case>/ (written by strata): load model/ in TF.js, predict
// input.json and compare with expected.json. Exits 0 only if every case passes and every case
// named after --expect is there.
const fs = require('fs');
const path = require('path');
const tf = require('./tf');
require('./custom_layers'); // registers the custom layer classes for deserialisation
const { readModelDir, readTensorJson } = require('./model_dir');

const TOLERANCE = 1e-5; // |a - b| <= TOLERANCE * max(1, |b|)

async function checkCase(dir) {
  const artifacts = readModelDir(path.join(dir, 'model'));
  // A custom load handler: file:// needs tfjs-node.
  const model = await tf.loadLayersModel({ load: async () => artifacts });
  const input = readTensorJson(path.join(dir, 'input.json'));
  const expected = readTensorJson(path.join(dir, 'expected.json'));
  const actual = model.predict(input);
  if (actual.shape.join() !== expected.shape.join()) {
    throw new Error(`shape [${actual.shape}] but expected [${expected.shape}]`);
  }
  const a = actual.dataSync();
  const b = expected.dataSync();
  let maxDiff = 0;
  let ok = true;
  for (let i = 0; i < b.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    if (!(diff <= TOLERANCE * Math.max(1, Math.abs(b[i])))) ok = false; // NaN fails too
    maxDiff = Number.isNaN(diff) ? NaN : Math.max(maxDiff, diff);
  }
  model.dispose();
  tf.dispose([input, expected, actual]);
  return { ok, maxDiff, count: b.length };
}

async function main() {
  const root = process.argv[2];
  if (!root) throw new Error('usage: node check_predictions.js CASES_DIR [--expect name,name,...]');
  const cases = fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (cases.length === 0) throw new Error(`no case folders in ${root}`);
  const expectAt = process.argv.indexOf('--expect');
  const expected = expectAt > 0 ? process.argv[expectAt + 1].split(',') : [];
  const missing = expected.filter((name) => !cases.includes(name));
  if (missing.length > 0) throw new Error(`missing cases in ${root}: ${missing.join(', ')}`);
  let passed = 0;
  for (const name of cases) {
    try {
      const { ok, maxDiff, count } = await checkCase(path.join(root, name));
      console.log(`${name}: max abs diff ${maxDiff} (${count} values)${ok ? '' : ' FAIL: above tolerance'}`);
      if (ok) passed++;
    } catch (err) {
      console.log(`${name}: FAIL: ${err.message}`);
    }
  }
  console.log(`${passed}/${cases.length} cases passed`);
  return passed === cases.length;
}

main().then((ok) => process.exit(ok ? 0 : 1), (err) => { console.error(err.message); process.exit(1); });

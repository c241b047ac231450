// TensorFlow.js (pure JavaScript, CPU backend) with the "install tfjs-node" banner filtered out:
// tfjs-node cannot be installed here, so the banner is noise in test logs. Other warnings still show.
const warn = console.warn;
console.warn = (...args) => {
  if (!args.some((a) => typeof a === 'string' && a.includes('tfjs-node'))) warn(...args);
};
module.exports = require('@tensorflow/tfjs');

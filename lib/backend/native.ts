// Native TensorFlow backend (tfjs-node built from the TensorFlow pip wheel). Filled in by the
// native-backend work; until then it reports "not available".
export function loadNative(): string | undefined {
  return undefined;
}

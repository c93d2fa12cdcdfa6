// WASM backend: SIMD, single thread (the threaded build does not help in Node).
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernelFixes } from './wasm-kernels';

let registered = false;
export function registerWasmBackend(): void {
  if (registered) return;
  registered = true;
  wasm.setThreadsCount(1);
  registerWasmKernelFixes();
}

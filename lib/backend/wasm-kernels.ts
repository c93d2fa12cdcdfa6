// Placeholder for view-based kernels that fix slow WASM Slice/Unpack; registered before first use.
export function registerWasmKernelFixes(): void {}

/** Live capture, injection, interface facts and BPF filters, over the libpcap addon in native/. */
export { LiveCapture, LiveFrame, openInjector, type CaptureOptions } from './live.js';
export { compileFilter, MAX_SNAPLEN, type FrameFilter } from './filter.js';
export {
  listInterfaces,
  interfaceState,
  requireInterfaceUp,
  type CaptureInterface,
  type InterfaceAddress,
  type InterfaceState,
} from './interfaces.js';
export {
  loadNative,
  requireNative,
  nativeAvailable,
  toSystemError,
  defaultNativePath,
  INSTALL_HINT,
  META,
  type Native,
  type NativeHandle,
  type NativeStats,
  type NativeFilter,
  type NativeInterface,
  type NativeOpenOptions,
} from './native.js';

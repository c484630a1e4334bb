package io.torgate.tun;

import java.io.IOException;

/** Every {@link TunDeviceContract} test against the pure-JNA implementation. */
class JnaTunTest extends TunDeviceContract {

  @Override
  TunDevice open(TunConfig config) throws IOException {
    return JnaTun.open(config);
  }

  @Override
  boolean isNativeImplementation() {
    return false;
  }
}

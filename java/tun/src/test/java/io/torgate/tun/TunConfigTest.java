package io.torgate.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TunConfigTest {

  @Test
  void builderDefaultsAndOverrides() {
    TunConfig plain = TunConfig.builder("tg0").build();
    assertEquals(new TunConfig("tg0", 1500, 0, 0, false, false), plain);
    TunConfig full = TunConfig.builder("tg1").mtu(9000).ipv4("192.168.1.254", 30).multiQueue(true)
        .vnetHeader(true).build();
    assertEquals(new TunConfig("tg1", 9000, 0xC0A801FE, 30, true, true), full);
  }

  @Test
  void parsesAndFormatsDottedQuads() {
    assertEquals(0x0A000001, TunConfig.parseIpv4("10.0.0.1"));
    assertEquals(0xFFFFFFFF, TunConfig.parseIpv4("255.255.255.255"));
    assertEquals(0, TunConfig.parseIpv4("0.0.0.0"));
    assertEquals("10.137.0.5", TunConfig.formatIpv4(TunConfig.parseIpv4("10.137.0.5")));
    assertEquals("255.255.255.255", TunConfig.formatIpv4(-1));
    for (String bad : new String[] {"10.0.0", "10.0.0.1.2", "256.0.0.1", "a.b.c.d", "10..0.1", "1.2.3.-4",
        "1.2.3.4 ", "0001.2.3.4", ""}) {
      assertThrows(IllegalArgumentException.class, () -> TunConfig.parseIpv4(bad), bad);
    }
  }

  @Test
  void rejectsImpossibleMtuAndPrefix() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TunConfig.builder("tg0").mtu(67).build());
    assertTrue(e.getMessage().contains("tg0") && e.getMessage().contains("67"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TunConfig.builder("tg0").mtu(65536).build());
    assertThrows(IllegalArgumentException.class, () -> TunConfig.builder("tg0").ipv4("10.0.0.1", 33).build());
    assertThrows(IllegalArgumentException.class, () -> TunConfig.builder("tg0").ipv4("10.0.0.1", -1).build());
    assertThrows(NullPointerException.class, () -> TunConfig.builder(null).build());
  }
}

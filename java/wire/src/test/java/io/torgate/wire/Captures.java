package io.torgate.wire;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * Real packets, IP header onwards, copied from {@code src/test/resources/io/torgate/wire/captures/wire-veth.pcap}
 * (see the README beside it for how it was captured: veth between two namespaces, checksum offload off, so
 * every checksum here is the one the kernel really computed). Frame numbers are tcpdump's.
 */
final class Captures {
    static final int HOST1 = 0x0a630001; // 10.99.0.1, the client side
    static final int HOST2 = 0x0a630002; // 10.99.0.2, ping target and dnsmasq

    /** Frame 8: ping -c1 -R 10.99.0.2: ICMP echo request with a Record Route option (IHL 15). */
    static final String ECHO_REQUEST_RECORD_ROUTE = ""
        + "4f00007cdd82400040010bc30a6300010a630002010727080a6300010000000000000000000000000000000000000000"
        + "00000000000000000000000008002bc3316600014565036b0000000084320f0000000000101112131415161718191a1b"
        + "1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";
    /** Frame 10: ping -c1 -s 2000 10.99.0.2: first fragment (MF, offset 0), 1500 bytes. */
    static final String FRAGMENT_FIRST = ""
        + "450005dcdd832000400162d50a6300010a630002080001a0316700014565036b00000000613f0f000000000010111213"
        + "1415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40414243"
        + "4445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273"
        + "7475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3"
        + "a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3"
        + "d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00010203"
        + "0405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233"
        + "3435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263"
        + "6465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f90919293"
        + "9495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3"
        + "c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3"
        + "f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
        + "2425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f50515253"
        + "5455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80818283"
        + "8485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"
        + "b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3"
        + "e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f10111213"
        + "1415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40414243"
        + "4445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273"
        + "7475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3"
        + "a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3"
        + "d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00010203"
        + "0405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233"
        + "3435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263"
        + "6465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f90919293"
        + "9495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3"
        + "c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3"
        + "f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
        + "2425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f50515253"
        + "5455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80818283"
        + "8485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"
        + "b4b5b6b7b8b9babbbcbdbebf";
    /** Frame 11: the second and last fragment of the same echo request (offset 1480). */
    static final String FRAGMENT_LAST = ""
        + "45000224dd8300b9400185d40a6300010a630002c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadb"
        + "dcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b"
        + "0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b"
        + "3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b"
        + "6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b"
        + "9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacb"
        + "cccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafb"
        + "fcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b"
        + "2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b"
        + "5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b"
        + "8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babb"
        + "bcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
    /** Frame 14: python3 sendto(b"hello torgate\\n") from 10.99.0.1:53871 to 10.99.0.2:9999. */
    static final String UDP_HELLO = "4500002adc834000401149770a6300010a630002d26f270f00160033"
        + "68656c6c6f20746f72676174650a";
    /** Frame 15: the kernel's port unreachable for UDP_HELLO (DSCP CS6, quotes the whole datagram). */
    static final String ICMP_PORT_UNREACHABLE = ""
        + "45c00046a7c900004001bd650a6300020a630001030311ed000000004500002adc834000401149770a6300010a630002"
        + "d26f270f0016003368656c6c6f20746f72676174650a";
    /** Frame 16: dig +noedns www.test.zone A. */
    static final String DNS_A_NOEDNS_QUERY = ""
        + "4500003b99a400004011cc450a6300010a630002ec3d00350027d28ce707012000010000000000000377777704746573"
        + "74047a6f6e650000010001";
    /** Frame 17: dnsmasq's answer to it: www.test.zone A 10.1.2.3, TTL 0, compression pointer. */
    static final String DNS_A_NOEDNS_ANSWER = ""
        + "4500004ba4ba40004011811f0a6300020a6300010035ec3d0037373fe707858000010001000000000377777704746573"
        + "74047a6f6e650000010001c00c000100010000000000040a010203";
    /** Frame 18: dig www.test.zone A: EDNS(0) payload 1232 with an 8-byte client COOKIE option. */
    static final String DNS_A_EDNS_COOKIE_QUERY = ""
        + "45000052f17700004011745b0a6300010a630002dade0035003eeecc7baa012000010000000000010377777704746573"
        + "74047a6f6e65000001000100002904d000000000000c000a0008b9895aa7b9988d6c";
    /** Frame 19: its answer with an OPT record. */
    static final String DNS_A_EDNS_ANSWER = ""
        + "45000056a4bb4000401181130a6300020a6300010035dade0042aeeb7baa858000010001000000010377777704746573"
        + "74047a6f6e650000010001c00c000100010000000000040a01020300002904d0000000000000";
    /** Frame 23: dig +tcp www.test.zone A: the TCP segment carrying the 2-byte length prefix and query. */
    static final String DNS_A_TCP_SEGMENT = ""
        + "4500006c4c0940004006d9ba0a6300010a6300029c6f0035689649e0e18bece2801800408cfe00000101080ad3234a75"
        + "5f22144c0036a73f01200001000000000001037777770474657374047a6f6e65000001000100002904d000000000000c"
        + "000a0008e83af9794eff03d3";
    /** Frame 30: dig alias.test.zone A. */
    static final String DNS_ALIAS_QUERY = ""
        + "4500005453a200004011122f0a6300010a630002ae000035004051776dcf0120000100000000000105616c6961730474"
        + "657374047a6f6e65000001000100002904d000000000000c000a0008e6d53eadb1e90385";
    /** Frame 31: answer: alias.test.zone CNAME www.test.zone. */
    static final String DNS_CNAME_ANSWER = ""
        + "45000063a4c54000401180fc0a6300020a6300010035ae00004fe2f96dcf8580000100010000000105616c6961730474"
        + "657374047a6f6e650000010001c00c0005000100000000000f037777770474657374047a6f6e650000002904d0000000"
        + "000000";
    /** Frame 32: dig missing.test.zone A. */
    static final String DNS_MISSING_QUERY = ""
        + "450000564605000040111fca0a6300010a630002831f0035004253647dcc01200001000000000001076d697373696e67"
        + "0474657374047a6f6e65000001000100002904d000000000000c000a000842d1de2221253258";
    /** Frame 33: answer: NXDOMAIN with OPT. */
    static final String DNS_NXDOMAIN_ANSWER = ""
        + "4500004aa4c84000401181120a6300020a6300010035831f003647a87dcc81830001000000000001076d697373696e67"
        + "0474657374047a6f6e65000001000100002904d0000000000000";
    /** Frame 36: dig +dnssec +bufsize=1232 www.test.zone AAAA: DO bit and cookie (systemd-resolved stand-in). */
    static final String DNS_AAAA_DNSSEC_QUERY = ""
        + "45000052bfa400004011a62e0a6300010a630002aba80035003e0071d150012000010000000000010377777704746573"
        + "74047a6f6e6500001c000100002904d000008000000c000a0008c72642adc2c1bb8b";
    /** Frame 38: dig -x 10.1.2.3. */
    static final String DNS_PTR_QUERY = ""
        + "4500005a06ba000040115f110a6300010a6300028cf500350046c2f51fe9012000010000000000010133013201310231"
        + "3007696e2d61646472046172706100000c000100002904d000000000000c000a0008389ae626420a91b1";
    /** Frame 39: answer: PTR www.test.zone. */
    static final String DNS_PTR_ANSWER = ""
        + "45000069a4d24000401180e90a6300020a63000100358cf5005565031fe9858000010001000000010133013201310231"
        + "3007696e2d61646472046172706100000c0001c00c000c000100000000000f037777770474657374047a6f6e65000000"
        + "2904d0000000000000";
    /** Frame 40: getent ahosts www.test.zone (glibc 2.36 stub): A query, RD, no EDNS. */
    static final String DNS_GLIBC_A_QUERY = ""
        + "4500003ba8a4400040117d450a6300010a630002c3060035002776596c92010000010000000000000377777704746573"
        + "74047a6f6e650000010001";
    /** Frame 41: getent ahosts www.test.zone: the parallel AAAA query from the same socket. */
    static final String DNS_GLIBC_AAAA_QUERY = ""
        + "4500003ba8a5400040117d440a6300010a630002c30600350027475b8090010000010000000000000377777704746573"
        + "74047a6f6e6500001c0001";

    // From resolved-veth.pcap (README beside it): systemd-resolved 252's own queries to its upstream server.
    /** Frame 1: systemd-resolved A query: RD, EDNS(0) with UDP size 1472, no DO, no cookie, no DF. */
    static final String DNS_RESOLVED_A_QUERY = ""
        + "450000461d6d0000401148720a6300010a630002939d003500322b3ee11601000001000000000001037777770474657374"
        + "047a6f6e65000001000100002905c0000000000000";
    /** Frame 3: systemd-resolved AAAA query (the same form). */
    static final String DNS_RESOLVED_AAAA_QUERY = ""
        + "45000046e7bb000040117e230a6300010a630002e96600350032b61ce56e01000001000000000001037777770474657374"
        + "047a6f6e6500001c000100002905c0000000000000";
    /** Frame 5: after an NXDOMAIN to frame 3, systemd-resolved asks again without EDNS: same socket, same ID. */
    static final String DNS_RESOLVED_AAAA_RETRY_NOEDNS = ""
        + "4500003be7bc000040117e2d0a6300010a630002e96600350027bc1ce56e0100000100000000000003777777047465737404"
        + "7a6f6e6500001c0001";
    /** Frame 7: systemd-resolved PTR query for 10.1.2.3. */
    static final String DNS_RESOLVED_PTR_QUERY = ""
        + "4500004e26b5000040113f220a6300010a630002b1020035003a3bc174f30100000100000000000101330132013102313007"
        + "696e2d61646472046172706100000c000100002905c0000000000000";

    private Captures() {
    }

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /** The packet copied into a heap buffer at absolute index {@code at}, with 7 spare bytes after it. */
    static ByteBuffer buffer(String hex, int at) {
        byte[] packet = bytes(hex);
        ByteBuffer buf = ByteBuffer.allocate(at + packet.length + 7);
        buf.put(at, packet);
        return buf;
    }
}

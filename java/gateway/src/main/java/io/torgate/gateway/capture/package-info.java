/**
 * Packet capture and offline replay (issue 10, items 1-3).
 *
 * <p>Hot path: the pipeline holds one {@link io.torgate.gateway.capture.CaptureSwitch} in a final field and calls
 * it at three points: {@code received} or {@code dropped} (with the {@code DropReason}) as {@code TunReader}
 * classifies each packet read, {@code dropped} again when a worker refuses a received packet ({@code Refusals}),
 * {@code sent} as {@code TxQueue.commit} and the DNS {@code TunReplySink} queue a packet for a TUN write. Off, a
 * call is a volatile load and a null check (bench/results/capture.md).
 * {@link io.torgate.gateway.capture.CaptureControl} attaches and detaches a
 * {@link io.torgate.gateway.capture.PcapCapture} (filters, rotating pcapng files with drop reasons as packet
 * comments, disk cap, written from its own thread through a bounded ring) and keeps the
 * {@link io.torgate.gateway.capture.FlightRecorder} (last N packets per client, dumped on demand; off unless
 * {@code [capture] flight_recorder_packets} is set) attached.
 *
 * <p>Why pcapng written here and not pcap4j (which issue 10 names): pcap4j's writer is libpcap's
 * {@code pcap_dump}, classic pcap only, which has no per-packet comment for the drop reason and no direction flag;
 * pcap4j also needs libpcap through JNA and allocates per packet. pcap4j's reader would add nothing either: the
 * replay reads both formats with {@link io.torgate.gateway.capture.PcapReader}, and the tests check every file
 * with the real tshark instead.
 *
 * <p>Offline: {@link io.torgate.gateway.capture.Replay} feeds a pcap/pcapng file through the classifier and the
 * TCP stack with a virtual clock and a fake SOCKS upstream and prints state transitions and drops;
 * {@link io.torgate.gateway.capture.PcapReader} reads what tcpdump, Wireshark and this package write.
 */
package io.torgate.gateway.capture;

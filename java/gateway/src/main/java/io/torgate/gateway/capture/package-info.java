/**
 * Packet capture and offline replay (issue 10, items 1-3).
 *
 * <p>Hot path: the pipeline holds one {@link io.torgate.gateway.capture.CaptureSwitch} in a final field and calls
 * it at three points: {@code received} after each TUN read, {@code dropped} with the {@code DropReason} when a
 * packet is not served, {@code sent} as each packet is committed for a TUN write. Off, a call is a volatile load
 * and a null check (bench/results/capture.md). {@link io.torgate.gateway.capture.CaptureControl} attaches and
 * detaches a {@link io.torgate.gateway.capture.PcapCapture} (filters, rotating pcapng files with drop reasons as
 * packet comments, disk cap, written from its own thread through a bounded ring) and keeps the
 * {@link io.torgate.gateway.capture.FlightRecorder} (last N packets per client, dumped on demand) attached.
 *
 * <p>Offline: {@link io.torgate.gateway.capture.Replay} feeds a pcap/pcapng file through the classifier and the
 * TCP stack with a virtual clock and a fake SOCKS upstream and prints state transitions and drops;
 * {@link io.torgate.gateway.capture.PcapReader} reads what tcpdump, Wireshark and this package write.
 */
package io.torgate.gateway.capture;

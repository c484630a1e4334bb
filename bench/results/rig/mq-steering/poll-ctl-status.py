import socket, sys, time, json
path, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = time.time() + seconds
with open(out, "w") as f:
    while time.time() < end:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(2)
            s.connect(path)
            s.sendall(b"status --json\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            body = data.decode().split("\n", 1)[1]
            j = json.loads(body)
            f.write("%s %s %s %s\n" % (time.strftime("%H:%M:%S"), j.get("packets_in"), j.get("queues"),
                                       j.get("misqueued_tcp_packets")))
            f.flush()
        except Exception as e:
            pass
        time.sleep(1)

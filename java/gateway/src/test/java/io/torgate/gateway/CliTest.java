package io.torgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line: subcommands, help with exit codes, completion script, ctl and lab failure exits. */
class CliTest {
    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        // picocli prints to System.out/err when no writer is set: capture those.
        CommandLine cl = Main.commandLine();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
        ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
        System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
        try {
            int code = cl.execute(args);
            return new Run(code, sysOut.toString(StandardCharsets.UTF_8), sysErr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpListsSubcommandsAndExitCodes() {
        assertEquals(0, run("--help").exit());
        String help = Main.commandLine().getUsageMessage();
        for (String s : new String[] {"run", "check-config", "ctl", "lab", "version", "completion", "Exit codes:",
            "3   invalid configuration", "4   unavailable"}) {
            assertTrue(help.contains(s), s + " in " + help);
        }
        String ctl = Main.commandLine().getSubcommands().get("ctl").getUsageMessage();
        assertTrue(ctl.contains("--json") && ctl.contains("Exit codes:"), ctl);
    }

    @Test
    void completionScriptNamesEverySubcommandAndOption() {
        Run r = run("completion", "bash");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("complete -F _complete_torgate"), "a bash completion function");
        for (String s : new String[] {"run", "check-config", "ctl", "lab", "version", "completion", "--json",
            "--socket", "--config"}) {
            assertTrue(r.out().contains(s), s);
        }
        assertEquals(2, run("completion", "fish").exit(), "unknown shell is a usage error");
    }

    @Test
    void versionAndUsageErrors() {
        Run v = run("version");
        assertEquals(0, v.exit());
        assertTrue(v.out().startsWith(Main.VERSION + "\n"), v.out());
        assertEquals(2, run("ctl").exit(), "ctl without a command");
        assertEquals(2, run("nope").exit());
    }

    @Test
    void ctlWithoutAGatewayExitsUnavailable(@TempDir Path dir) throws Exception {
        Run r = run("ctl", "--socket", dir.resolve("none.sock").toString(), "status");
        assertEquals(Main.EXIT_UNAVAILABLE, r.exit());
        assertTrue(r.err().contains("none.sock"), r.err());
        Path cfg = dir.resolve("t.toml");
        Files.writeString(cfg, "[network]\nclient_ranges = [\"10.137.0.0/16\"]\n[socks]\nendpoint = \"127.0.0.1:1\"\n");
        Run noControl = run("ctl", "--config", cfg.toString(), "status");
        assertEquals(Main.EXIT_CONFIG, noControl.exit());
        assertTrue(noControl.err().contains("no [control] socket configured"), noControl.err());
    }

    @Test
    void labIsFoundInACheckoutAndExplainedOtherwise(@TempDir Path dir) throws Exception {
        Path lab = dir.resolve("a/test-vms/lab.sh");
        Files.createDirectories(lab.getParent());
        Files.writeString(lab, "#!/bin/sh\n");
        Files.createDirectories(dir.resolve("a/b/c"));
        assertEquals(lab, Tools.Lab.search(dir.resolve("a/b/c")));
        assertEquals(null, Tools.Lab.search(dir.resolve("a").getParent().resolve("x")));
    }
}

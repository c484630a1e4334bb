package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BufferBudgetTest {
    @Test
    void reserveUpToTheLimit() {
        BufferBudget b = new BufferBudget(100);
        assertTrue(b.reserve(60));
        assertFalse(b.reserve(41), "all or nothing");
        assertEquals(1, b.refusals());
        assertEquals(60, b.used());
        assertTrue(b.reserve(40));
        assertEquals(0, b.available());
        b.release(100);
        assertEquals(0, b.used());
        assertThrows(IllegalArgumentException.class, () -> b.release(1));
        assertEquals(0, b.used());
        assertEquals(100, b.max());
    }

    @Test
    void concurrentReservationsNeverExceedTheBudget() throws InterruptedException {
        BufferBudget b = new BufferBudget(10_000);
        AtomicInteger granted = new AtomicInteger();
        Thread[] threads = new Thread[4];
        for (int i = 0; i < threads.length; i++) {
            threads[i] = new Thread(() -> {
                for (int k = 0; k < 20_000; k++) {
                    if (b.reserve(7)) {
                        granted.incrementAndGet();
                        if (k % 2 == 0) {
                            b.release(7);
                            granted.decrementAndGet();
                        }
                    }
                }
            });
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join(30_000);
        }
        assertEquals(7L * granted.get(), b.used());
        assertTrue(b.used() <= b.max());
        assertEquals(10_000 / 7, granted.get(), "the budget ends full: every later reservation failed");
    }
}

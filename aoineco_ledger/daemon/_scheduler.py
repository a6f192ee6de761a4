"""The daemon's schedule: APScheduler 3's ``BlockingScheduler``, one job per chain.

Each job is thin (``service.run_chain(cycle)``) and starts at once. ``coalesce``
folds a backlog of missed runs into one, ``max_instances=1`` means a chain is
never polled twice at once, and a generous ``misfire_grace_time`` lets a late
run still happen. Missed, skipped and late runs are logged and counted.
SIGTERM and SIGINT let the cycle in flight finish its chunk, then the process
exits 0.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import structlog
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    EVENT_SCHEDULER_STARTED,
    JobEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from aoineco_ledger.daemon._sdnotify import notify, watchdog_interval
from aoineco_ledger.daemon._service import Service

__all__ = ["RunCounters", "Scheduler", "job_defaults"]

log = structlog.get_logger("aoineco_ledger.daemon")


def job_defaults(poll_seconds: float) -> dict[str, Any]:
    """The jobs' defaults: coalesce, one instance, and a grace time of ten polls (>= 60 s)."""
    return {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": int(max(60, 10 * poll_seconds)),
    }


@dataclass(slots=True)
class RunCounters:
    """How the schedule went, per process.

    Attributes:
        submitted: runs started; missed: runs dropped past the grace time;
        skipped: runs not started because the previous one still ran;
        late: runs that started more than a second after their time.
    """

    submitted: int = 0
    missed: int = 0
    skipped: int = 0
    late: int = 0


class Scheduler:
    """Runs a :class:`Service` on a ``BlockingScheduler`` until a signal stops it.

    Args:
        service: the service whose cycles to run.
        clock: the time source for the first run and lateness.
    """

    def __init__(self, service: Service, *, clock: Any = None) -> None:
        self.service = service
        self.counters = RunCounters()
        self._clock = clock or (lambda: datetime.now(UTC))
        slowest = max(service.poll_seconds.values(), default=30.0)
        self._scheduler = BlockingScheduler(
            executors={
                "default": ThreadPoolExecutor(max(1, len(service.cycles))),
                "watchdog": ThreadPoolExecutor(1),  # pings even while every cycle is busy
            },
            job_defaults=job_defaults(slowest),
            timezone=UTC,
        )
        self._stopper: threading.Thread | None = None
        self._lock = threading.Lock()
        self._chains: dict[str, tuple[str, int]] = {}  # job id -> (chain name, chain id)
        self._add_jobs()
        self._scheduler.add_listener(
            self._on_event,
            EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_SUBMITTED | EVENT_JOB_ERROR,
        )
        # systemd (Type=notify): ready once every chain's job is in the job store.
        self._scheduler.add_listener(lambda _: notify("READY=1"), EVENT_SCHEDULER_STARTED)

    def _add_jobs(self) -> None:
        now = self._clock()
        for cycle in self.service.cycles:
            chain_id = cycle.squad.chain_id
            self._chains[f"chain:{chain_id}"] = (cycle.squad.chain, chain_id)
            self._scheduler.add_job(
                self.service.run_chain,
                "interval",
                args=(cycle,),
                seconds=self.service.poll_seconds.get(chain_id, 30.0),
                next_run_time=now,
                id=f"chain:{chain_id}",
                name=f"reconcile {cycle.squad.chain}",
            )
        interval = watchdog_interval()  # systemd's WatchdogSec=: ping at half of it
        if interval is not None:
            self._scheduler.add_job(
                notify,
                "interval",
                args=("WATCHDOG=1",),
                seconds=interval / 2,
                next_run_time=now,
                id="watchdog",
                executor="watchdog",
            )

    def _on_event(self, event: JobEvent) -> None:
        if event.job_id not in self._chains:  # the watchdog
            return
        chain, chain_id = self._chains[event.job_id]
        if event.code == EVENT_JOB_MISSED:
            self.counters.missed += 1
            scheduled = event.scheduled_run_time.isoformat()
            log.warning("run_missed", chain=chain, chain_id=chain_id, scheduled=scheduled)
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            self.counters.skipped += 1
            reason = "the previous cycle is still running"
            log.warning("run_skipped", chain=chain, chain_id=chain_id, reason=reason)
        elif event.code == EVENT_JOB_ERROR:
            error = str(getattr(event, "exception", ""))
            log.error("job_error", chain=chain, chain_id=chain_id, error=error)
        elif isinstance(event, JobSubmissionEvent):
            self.counters.submitted += 1
            scheduled = event.scheduled_run_times[-1]
            late = (self._clock() - scheduled).total_seconds()
            if late > 1.0:
                self.counters.late += 1
                log.warning("run_late", chain=chain, chain_id=chain_id, seconds=round(late, 3))

    def run(self, *, install_signals: bool = True) -> int:
        """Run until SIGTERM or SIGINT (or :meth:`stop`); returns the exit code 0.

        Args:
            install_signals: install the SIGTERM/SIGINT handlers (the main thread only).
        """
        if install_signals:
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        if self.service.stopping.is_set():  # asked to stop while starting up
            self.service.close()
            return 0
        chains = [c.squad.chain for c in self.service.cycles]
        log.info("daemon_started", chains=chains, store=self.service.ledger.url)
        self._scheduler.start()
        if self._stopper is not None:
            self._stopper.join()
        self.service.close()
        log.info("daemon_stopped", **_counts(self.counters))
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("signal_received", signal=signal.Signals(signum).name)
        self.stop()

    def stop(self) -> None:
        """Let the cycles in flight finish their chunk, then stop the scheduler.

        Safe to call from a signal handler: the waiting happens in a thread.
        """
        with self._lock:
            if self._stopper is not None:
                return
            self.service.stop()
            notify("STOPPING=1")
            if self._scheduler.running:
                self._scheduler.pause()  # no new runs; the main loop waits for shutdown
            self._stopper = threading.Thread(
                target=self._scheduler.shutdown, kwargs={"wait": True}, name="shutdown"
            )
            self._stopper.start()


def _counts(counters: RunCounters) -> dict[str, int]:
    return {
        "runs": counters.submitted,
        "missed": counters.missed,
        "skipped": counters.skipped,
        "late": counters.late,
    }

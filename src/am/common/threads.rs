//! Worker threads for index builds.
//!
//! A build runs its parallel work on a rayon pool of its own, sized from
//! `max_parallel_maintenance_workers` plus the leader (or `quiver.build_threads`). The pool's
//! threads are created with every signal blocked, so PostgreSQL's signal handlers only ever
//! run on the backend's own thread. The work itself touches plain Rust data only: nothing on
//! those threads calls PostgreSQL or can raise a PostgreSQL error. Meanwhile the backend's
//! thread reports progress; cancellation is polled by the workers (see [`cancel_requested`]).

use pgrx::pg_sys;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::time::Duration;

/// `quiver.build_threads`: threads of a parallel index build (0: max_parallel_maintenance_workers + 1).
pub static BUILD_THREADS: GucSetting<i32> = GucSetting::<i32>::new(0);

pub fn init_gucs() {
    GucRegistry::define_int_guc(
        c"quiver.build_threads",
        c"Threads that build an index in parallel (0: max_parallel_maintenance_workers + 1, at most the CPUs)",
        c"The build's worker threads only compute on data already read; they never call into the server.",
        &BUILD_THREADS,
        0,
        256,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// How many threads a build uses: `quiver.build_threads`, or by default
/// max_parallel_maintenance_workers + 1 but no more than the machine's CPUs (more threads than
/// cores only add synchronisation: k-means' iterations ran twice as long with 3 threads on 2).
pub fn build_threads() -> usize {
    match BUILD_THREADS.get() {
        n if n > 0 => n as usize,
        _ => {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            (unsafe { pg_sys::max_parallel_maintenance_workers }.max(0) as usize + 1).min(cpus).min(64)
        }
    }
}

/// A pool of `threads` threads, created with all signals blocked.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        // threads inherit the creating thread's signal mask
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("quiver build {i}"))
            .build();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        match pool {
            Ok(p) => p,
            Err(e) => crate::error::raise_code(
                pgrx::PgSqlErrorCode::ERRCODE_INSUFFICIENT_RESOURCES,
                format!("could not start index build threads: {e}"),
            ),
        }
    }
}

/// Run `work` on `pool` while the backend's thread calls `tick` about ten times a second
/// (progress reporting; it must not raise errors). Returns `work`'s result as soon as it is
/// there (the backend waits on a channel, not in fixed sleeps).
pub fn run<R: Send>(pool: &rayon::ThreadPool, work: impl FnOnce() -> R + Send, mut tick: impl FnMut()) -> R {
    run_alongside(pool, work, move || {
        tick();
        false
    })
}

/// Set while a backend-side step run by [`run_alongside`] has failed: the workers then see
/// [`cancel_requested`] and stop.
static ABORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// [`run`], where the backend's thread does its own share of the build meanwhile: `backend`
/// is called again at once while it returns `true` (more to do), and about ten times a second
/// after it returned `false`. It runs on the backend's thread and may call PostgreSQL and raise
/// errors: the workers are then stopped (they see a cancel) and the error goes on once they
/// have.
pub fn run_alongside<R: Send>(pool: &rayon::ThreadPool, work: impl FnOnce() -> R + Send, mut backend: impl FnMut() -> bool) -> R {
    use std::sync::atomic::Ordering;
    let mut result = None;
    let mut failed = None;
    ABORTED.store(false, Ordering::Relaxed);
    {
        let result = &mut result;
        let failed = &mut failed;
        let (finished, wait) = std::sync::mpsc::sync_channel::<()>(1);
        pool.in_place_scope(|s| {
            s.spawn(move |_| {
                // a panic is caught here and re-raised on the backend's thread below
                *result = Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)));
                let _ = finished.send(());
            });
            let mut busy = true;
            loop {
                // a disconnected channel means the job ended (its sender is dropped with it)
                let ended = if busy {
                    !matches!(wait.try_recv(), Err(std::sync::mpsc::TryRecvError::Empty))
                } else {
                    !matches!(wait.recv_timeout(Duration::from_millis(100)), Err(std::sync::mpsc::RecvTimeoutError::Timeout))
                };
                if ended {
                    break;
                }
                if failed.is_none() {
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(&mut backend)) {
                        Ok(more) => busy = more,
                        Err(e) => {
                            ABORTED.store(true, Ordering::Relaxed);
                            *failed = Some(e);
                            busy = false;
                        }
                    }
                }
            }
        });
    }
    ABORTED.store(false, Ordering::Relaxed);
    if let Some(e) = failed {
        std::panic::resume_unwind(e);
    }
    match result {
        Some(Ok(r)) => r,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        None => crate::error::raise_code(pgrx::PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "index build worker did not finish"),
    }
}

/// Whether a query cancel (Ctrl-C, `pg_cancel_backend`, `statement_timeout`) or a termination
/// request is pending. Safe on any thread: it only reads the flags PostgreSQL's signal
/// handlers set; the backend's thread acts on them once the workers have stopped.
pub fn cancel_requested() -> bool {
    if ABORTED.load(std::sync::atomic::Ordering::Relaxed) {
        return true;
    }
    unsafe {
        std::ptr::read_volatile(&raw const pg_sys::InterruptPending) != 0
            && (std::ptr::read_volatile(&raw const pg_sys::QueryCancelPending) != 0
                || std::ptr::read_volatile(&raw const pg_sys::ProcDiePending) != 0)
    }
}

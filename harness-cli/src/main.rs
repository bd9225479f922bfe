//! `harness`: the command line with the built-in systems registered, built
//! exactly as a user's own binary would be.

fn main() -> std::process::ExitCode {
    restore_default_sigpipe();
    harness::cli::App::new()
        .system::<raft_kv::Cluster>()
        .system::<primary_backup::PrimaryBackup>()
        .system::<openraft_kv::OpenraftKv>()
        .main()
}

/// Rust ignores SIGPIPE, so `harness compare A B | head` would panic on the
/// closed pipe; a command-line tool should end quietly instead, as `cat`
/// does.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; it only
    // resets one signal's disposition to the OS default.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

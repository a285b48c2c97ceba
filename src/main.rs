//! The `tessera` binary: a thin shell over `tessera-server`.

/// mimalloc instead of glibc's allocator: a request allocates many small, short-lived buffers on
/// whichever worker thread runs it, and glibc's arena locks and consolidation showed up in
/// profiles of the hot path (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tessera_server::cli::main()
}

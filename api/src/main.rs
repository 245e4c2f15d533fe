// mimalloc: glibc's allocator was a fifth of the server's CPU under order load (bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    juhe_api::cli::main()
}

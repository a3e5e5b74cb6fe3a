// mimalloc instead of the system allocator: building the syntax tree is
// allocation-heavy, and mimalloc asks the system for memory in large
// chunks, so a large file costs far fewer page faults.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    flow::cli::main()
}

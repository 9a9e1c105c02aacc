// The pgark executable: everything lives in pgark_cli (cli/command_table.h).
#include "cli/command_table.h"

int main(int argc, char** argv) { return pgark::cli::Run(argc, argv); }

// `shmq`: the `aws sqs` command line over shmq's shared-memory queues. `shmq <command>
// [--flags]` takes the subcommands, flags and values of `aws sqs` (plus `shmq inspect`), runs the
// action through libshmq in the namespace $SHMQ_NAMESPACE, prints aws's JSON and exits as aws
// does: 0 on success, 255 when the action or a parameter value fails, 2 when the command line
// itself is wrong. aws's global options that mean nothing here (--endpoint-url, --region, ...)
// are accepted and ignored so that commands written for aws run unchanged.
//
// No exception leaves main: CLI11 reports parse errors by exception, caught here; anything else
// (allocation failure) ends with a message and exit 255.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "command.h"
#include "outcome.h"

namespace shmq::cli {
namespace {

struct IgnoredGlobals {
    std::string endpoint_url, region, profile, output = "json", color, ca_bundle;
    bool no_cli_pager = false, no_verify_ssl = false, no_sign_request = false, debug = false;
};

void declare_globals(CLI::App& app, GlobalOptions& globals, IgnoredGlobals& ignored) {
    // Options given after a subcommand's own reach the app through fallthrough().
    const char* ignored_text = "Accepted for aws compatibility; no effect";
    const char* ignored_group = "aws global options (accepted, no effect)";
    app.add_option("--endpoint-url", ignored.endpoint_url, ignored_text)->group(ignored_group);
    app.add_option("--region", ignored.region, ignored_text)->group(ignored_group);
    app.add_option("--profile", ignored.profile, ignored_text)->group(ignored_group);
    app.add_option("--color", ignored.color, ignored_text)->group(ignored_group);
    app.add_option("--ca-bundle", ignored.ca_bundle, ignored_text)->group(ignored_group);
    app.add_flag("--no-cli-pager", ignored.no_cli_pager, ignored_text)->group(ignored_group);
    app.add_flag("--no-verify-ssl", ignored.no_verify_ssl, ignored_text)->group(ignored_group);
    app.add_flag("--no-sign-request", ignored.no_sign_request, ignored_text)->group(ignored_group);
    app.add_flag("--debug", ignored.debug, ignored_text)->group(ignored_group);
    app.add_option("--output", ignored.output, "Output format; only json is supported")->check(CLI::IsMember({"json"}));
    app.add_flag("--no-paginate", globals.no_paginate, "list-queues: print only the first page and its NextToken");
}

// aws takes `shmq help` and `shmq <command> [...] help`; CLI11 spells that --help. A "help"
// right after an option is that option's value (`--message-body help`), not a request for help.
std::vector<std::string> arguments_for_parser(int argc, char** argv) {
    std::vector<std::string> arguments(argv + 1, argv + argc);
    if (!arguments.empty() && arguments.back() == "help" &&
        (arguments.size() == 1 || !arguments[arguments.size() - 2].starts_with("-"))) {
        arguments.back() = "--help";
    }
    return arguments;
}

// CLI11 splits a value of a multi-value option that looks like "[a,b]" at its commas; for
// --entries '[{...},{...}]' that would cut JSON apart. A leading space hides the brackets from
// CLI11, and JSON parsing ignores it. Only values of multi-value options are touched (a
// --message-body of "[1,2]" must stay as typed).
void protect_bracketed_values(std::vector<std::string>& arguments, const CLI::App& app) {
    std::vector<std::string> multi_value_options;
    for (const auto* command : app.get_subcommands({})) {
        for (const auto* option : command->get_options()) {
            if (option->get_allow_extra_args()) {
                multi_value_options.push_back(option->get_name());
            }
        }
    }
    const auto is_multi_value = [&](std::string_view name) {
        return std::find(multi_value_options.begin(), multi_value_options.end(), name) != multi_value_options.end();
    };
    const auto bracketed = [](std::string_view text) {
        return text.size() >= 2 && text.front() == '[' && text.back() == ']';
    };
    bool after_multi_value_option = false;
    for (auto& argument : arguments) {
        if (argument.starts_with("--")) {
            const auto equals = argument.find('=');
            const std::string_view name = std::string_view(argument).substr(0, equals);
            after_multi_value_option = is_multi_value(name);
            if (equals != std::string::npos && after_multi_value_option &&
                bracketed(std::string_view(argument).substr(equals + 1))) {
                argument.insert(equals + 1, " ");
            }
            continue;
        }
        if (after_multi_value_option && bracketed(argument)) {
            argument.insert(0, " ");
        }
    }
}

std::string list_commands(const CommandSet& commands) {
    std::string names;
    for (const auto& command : commands.commands()) {
        names += "  " + command.name + "\n";
    }
    return names;
}

int run(int argc, char** argv) {
    CLI::App app{"shmq: Amazon SQS semantics over shared-memory queues on this host.\n"
                 "Commands, flags and output are those of `aws sqs`; queues live in the "
                 "namespace $SHMQ_NAMESPACE (default: default).",
                 "shmq"};
    app.fallthrough();
    GlobalOptions globals;
    IgnoredGlobals ignored;
    declare_globals(app, globals, ignored);
    CommandSet commands(app);
    add_queue_commands(commands);
    add_message_commands(commands);
    add_move_task_commands(commands);
    add_inspect_command(commands);

    std::vector<std::string> arguments = arguments_for_parser(argc, argv);
    // argparse's wording for an unknown command, with the list of valid ones.
    if (!arguments.empty() && !arguments.front().starts_with("-")) {
        const auto& all = commands.commands();
        const bool known = std::any_of(all.begin(), all.end(),
                                       [&](const Command& command) { return command.name == arguments.front(); });
        if (!known) {
            return report_failure(
                Failure::usage("argument operation: Invalid choice, valid choices are:\n\n" + list_commands(commands)),
                {});
        }
    }
    protect_bracketed_values(arguments, app);
    std::reverse(arguments.begin(), arguments.end()); // CLI11 takes them last first
    try {
        app.parse(arguments);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::ExtrasError& error) {
        // aws: usage banner, "Unknown options: ...", exit 255 (not argparse's 2).
        print_usage_banner();
        std::fprintf(stderr, "%s\n", error.what());
        return exit_failure;
    } catch (const CLI::ParseError& error) {
        return report_failure(Failure::usage(error.what()), {});
    }

    const auto& all = commands.commands();
    const auto selected =
        std::find_if(all.begin(), all.end(), [](const Command& command) { return command.parser->parsed(); });
    if (selected == all.end()) {
        return report_failure(
            Failure::usage("the following arguments are required: operation\n\nCommands:\n" + list_commands(commands)),
            {});
    }
    auto client = Client::open();
    if (!client.ok()) {
        return report_failure(Failure::service(client.error()), selected->action);
    }
    const Outcome outcome = selected->run(client.value(), globals);
    if (!outcome.ok()) {
        return report_failure(outcome.failure(), selected->action);
    }
    return exit_success;
}

} // namespace
} // namespace shmq::cli

int main(int argc, char** argv) {
    try {
        return shmq::cli::run(argc, argv);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "\n%s\n", error.what());
    } catch (...) {
        std::fputs("\nunknown error\n", stderr);
    }
    return shmq::cli::exit_failure;
}

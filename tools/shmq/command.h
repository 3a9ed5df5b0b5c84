// A CLI subcommand: its CLI11 parser, the SQS operation it performs (named in error messages as
// aws names it) and the function that runs it. Each command group (queue_commands.cpp,
// message_commands.cpp, ...) adds its commands to a CommandSet; main picks the one that was
// parsed and runs it against an open Client.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "outcome.h"
#include "shmq/client.h"

namespace shmq::cli {

// Options every command accepts and main reads before running it (aws's global options).
struct GlobalOptions {
    bool no_paginate = false;
};

struct Command {
    std::string name;   // "send-message"
    std::string action; // "SendMessage"
    CLI::App* parser = nullptr;
    std::function<Outcome(const Client&, const GlobalOptions&)> run;
};

// Each command type declares its options on its parser and runs against a Client:
//   struct SendMessageCommand {
//       void declare(CLI::App& parser);
//       Outcome run(const Client& client, const GlobalOptions& globals);
//   };
class CommandSet {
  public:
    explicit CommandSet(CLI::App& app) : app_(app) {}

    template <class CommandType> void add(std::string name, std::string action, std::string description) {
        auto state = std::make_shared<CommandType>();
        Command command;
        command.name = name;
        command.action = std::move(action);
        command.parser = app_.add_subcommand(std::move(name), std::move(description));
        state->declare(*command.parser);
        command.run = [state](const Client& client, const GlobalOptions& globals) {
            return state->run(client, globals);
        };
        commands_.push_back(std::move(command));
    }

    [[nodiscard]] const std::vector<Command>& commands() const noexcept { return commands_; }

  private:
    CLI::App& app_;
    std::vector<Command> commands_;
};

void add_queue_commands(CommandSet& commands);
void add_message_commands(CommandSet& commands);
void add_move_task_commands(CommandSet& commands);
void add_inspect_command(CommandSet& commands);

// The queue named by --queue-url: its last path segment (any URL prefix is accepted).
[[nodiscard]] CliResult<std::string> queue_name_from_url(std::string_view url);

} // namespace shmq::cli

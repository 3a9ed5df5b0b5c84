// Starting and stopping shmqd's bridges (see bridge_set.h).
#include "bridge_set.h"

#include <unistd.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>

#include "bridge/forward_bridge.h"
#include "bridge/pull_bridge.h"

namespace shmq::bridge {

namespace {

// What a SigV4 scope's region may be: it goes into libcurl's "aws:amz:REGION:sqs".
bool region_name(std::string_view region) {
    return !region.empty() && region.size() <= 32 && std::all_of(region.begin(), region.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

Error bridge_error(const BridgeSettings& settings, std::string_view key, const std::string& message) {
    return Error{Errc::invalid_parameter_value,
                 settings.declared_at + ": bridges." + settings.name + "." + std::string(key) + ": " + message};
}

} // namespace

std::string region_of_queue_url(std::string_view queue_url) {
    auto url = boost::urls::parse_absolute_uri(queue_url);
    if (!url) {
        return {};
    }
    const std::string host(url->encoded_host());
    constexpr std::string_view suffix = ".amazonaws.com";
    if (!host.ends_with(suffix)) {
        return {};
    }
    const std::string_view name = std::string_view(host).substr(0, host.size() - suffix.size());
    if (name.starts_with("sqs.")) {
        return std::string(name.substr(4));
    }
    if (name.ends_with(".queue")) {
        return std::string(name.substr(0, name.size() - 6));
    }
    return {};
}

Result<std::unique_ptr<BridgeSet>> BridgeSet::start(const Client& client, std::vector<BridgeSettings> bridges,
                                                    std::function<void(const std::string&)> log,
                                                    const AwsEnvironment& environment) {
    std::unique_ptr<BridgeSet> set(new BridgeSet());
    std::vector<std::shared_ptr<const RemoteEndpoint>> endpoints;
    for (BridgeSettings& settings : bridges) {
        if (!client.get_queue_url(settings.local_queue)) {
            return bridge_error(settings, "queue",
                                "queue " + settings.local_queue +
                                    " does not exist (declare it under [queues], or create it before shmqd starts)");
        }
        auto region =
            resolve_region(settings.region.empty() ? region_of_queue_url(settings.remote_queue_url) : settings.region,
                           settings.profile, environment);
        if (!region) {
            return bridge_error(settings, "region", region.error().message);
        }
        if (!region_name(region.value())) {
            return bridge_error(settings, "region", "'" + region.value() + "' is not a region's name");
        }
        settings.region = region.value();
        auto credentials = resolve_credentials(settings.profile, environment);
        if (!credentials) {
            return bridge_error(settings, "profile", credentials.error().message);
        }
        if (settings.endpoint_url.empty()) {
            settings.endpoint_url = sqs_endpoint_url(settings.region);
        }
        auto endpoint = std::make_shared<RemoteEndpoint>();
        endpoint->url = settings.endpoint_url;
        endpoint->region = settings.region;
        endpoint->credentials = std::move(credentials.value());
        if (!settings.ca_file.empty()) {
            if (::access(settings.ca_file.c_str(), R_OK) != 0) {
                return bridge_error(settings, "ca_file", settings.ca_file + " cannot be read");
            }
            endpoint->ca_file = settings.ca_file;
        }
        endpoints.push_back(std::move(endpoint));
    }
    set->transport_ = std::make_unique<SqsTransport>();
    BridgeRuntime runtime;
    runtime.client = &client;
    runtime.transport = set->transport_.get();
    runtime.log = log;
    for (std::size_t i = 0; i < bridges.size(); ++i) {
        const BridgeSettings& settings = bridges[i];
        if (log) {
            log("bridge " + settings.name + ": " + direction_name(settings.direction) + " " + settings.local_queue +
                (settings.direction == Direction::forward ? " to " : " from ") + settings.remote_queue_url + " (" +
                settings.region + ", credentials from " + endpoints[i]->credentials.source + ")");
        }
        std::unique_ptr<Bridge> bridge;
        if (settings.direction == Direction::forward) {
            bridge = std::make_unique<ForwardBridge>(settings, endpoints[i], runtime);
        } else {
            bridge = std::make_unique<PullBridge>(settings, endpoints[i], runtime);
        }
        bridge->start();
        set->views_.push_back({&bridge->settings(), &bridge->metrics()});
        set->bridges_.push_back(std::move(bridge));
    }
    return set;
}

BridgeSet::~BridgeSet() {
    stop();
}

void BridgeSet::stop() {
    // Bridges first, all at once, then the transport they use.
    for (const std::unique_ptr<Bridge>& bridge : bridges_) {
        bridge->request_stop();
    }
    for (const std::unique_ptr<Bridge>& bridge : bridges_) {
        bridge->stop();
    }
    transport_.reset();
}

} // namespace shmq::bridge

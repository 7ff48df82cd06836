#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <netdb.h>
#include <sstream>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <gantry/runtime/resolver.h>

namespace gantry::runtime {

namespace asio = boost::asio;

namespace {

class SystemResolver final : public Resolver {
public:
    bool resolve(const std::string& host, Addresses& out, std::string* error) override {
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* result = nullptr;
        int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &result);
        if (rc != 0) {
            *error = "cannot resolve `" + host + "`: " + ::gai_strerror(rc);
            return false;
        }
        Addresses found;
        for (addrinfo* entry = result; entry != nullptr; entry = entry->ai_next) {
            asio::ip::tcp::endpoint endpoint;
            std::memcpy(endpoint.data(), entry->ai_addr, entry->ai_addrlen);
            found.push_back(endpoint.address());
        }
        ::freeaddrinfo(result);
        out = prefer_ipv4(std::move(found));
        return true;
    }

    void async_resolve(asio::io_context& io_context, const std::string& host, Done done) override {
        // asio runs getaddrinfo on its own resolver thread and completes on io_context.
        auto resolver = std::make_shared<asio::ip::tcp::resolver>(io_context);
        resolver->async_resolve(
            host, "",
            [resolver, host, done = std::move(done)](
                boost::system::error_code ec, asio::ip::tcp::resolver::results_type results) {
                if (ec) {
                    done({}, "cannot resolve `" + host + "`: " + ec.message());
                    return;
                }
                Addresses found;
                for (const auto& entry : results) {
                    found.push_back(entry.endpoint().address());
                }
                done(prefer_ipv4(std::move(found)), "");
            });
    }
};

class HostsFileResolver final : public Resolver {
public:
    explicit HostsFileResolver(std::string path) : path_(std::move(path)) {}

    bool resolve(const std::string& host, Addresses& out, std::string* error) override {
        std::ifstream file(path_);
        if (!file) {
            *error = "cannot resolve `" + host + "`: cannot read hosts file " + path_;
            return false;
        }
        Addresses found;
        std::string line;
        while (std::getline(file, line)) {
            line = line.substr(0, line.find('#'));
            std::istringstream words(line);
            std::string ip;
            std::string name;
            words >> ip;
            while (words >> name) {
                boost::system::error_code ec;
                auto address = asio::ip::make_address(ip, ec);
                if (!ec && name == host) {
                    found.push_back(address);
                }
            }
        }
        if (found.empty()) {
            *error = "cannot resolve `" + host + "`: not in " + path_;
            return false;
        }
        out = prefer_ipv4(std::move(found));
        return true;
    }

    void async_resolve(asio::io_context& io_context, const std::string& host, Done done) override {
        Addresses found;
        std::string error;
        resolve(host, found, &error);  // a small local file: reading it does not block for long
        asio::post(io_context, [found = std::move(found), error = std::move(error),
                                done = std::move(done)]() mutable {
            done(std::move(found), std::move(error));
        });
    }

private:
    std::string path_;
};

}  // namespace

Resolver::Addresses prefer_ipv4(Resolver::Addresses addresses) {
    const bool has_v4 = std::any_of(addresses.begin(), addresses.end(),
                                    [](const asio::ip::address& a) { return a.is_v4(); });
    std::erase_if(addresses, [&](const asio::ip::address& a) { return a.is_v4() != has_v4; });
    std::sort(addresses.begin(), addresses.end());
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    return addresses;
}

std::unique_ptr<Resolver> make_system_resolver() {
    return std::make_unique<SystemResolver>();
}

std::unique_ptr<Resolver> make_hosts_file_resolver(std::string path) {
    return std::make_unique<HostsFileResolver>(std::move(path));
}

Resolver& default_resolver() {
    static const std::unique_ptr<Resolver> resolver = [] {
        const char* hosts_file = std::getenv("GANTRY_HOSTS_FILE");
        return hosts_file != nullptr && *hosts_file != '\0' ? make_hosts_file_resolver(hosts_file)
                                                            : make_system_resolver();
    }();
    return *resolver;
}

}  // namespace gantry::runtime

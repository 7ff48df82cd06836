#pragma once

// Resolver: the seam through which endpoint host names become addresses. The system resolver
// asks getaddrinfo; the hosts-file resolver reads an /etc/hosts-style file (one `IP name...` per
// line, `#` comments) on every lookup, which lets tests change what a name resolves to. The
// process uses the file named by the environment variable GANTRY_HOSTS_FILE when it is set
// (tests), else the system. Main thread only.
//
// Of the addresses a name has, the IPv4 ones are used when there are any, else the IPv6 ones
// (Envoy's V4_PREFERRED), in a stable order.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

namespace gantry::runtime {

class Resolver {
public:
    using Addresses = std::vector<boost::asio::ip::address>;
    using Done = std::function<void(Addresses addresses, std::string error)>;

    virtual ~Resolver() = default;

    // Blocking; used while a generation is built (start-up, reload). False and `error` filled
    // when the name does not resolve.
    virtual bool resolve(const std::string& host, Addresses& out, std::string* error) = 0;

    // Without blocking the calling thread; `done` runs on `io_context` (the main thread).
    virtual void async_resolve(boost::asio::io_context& io_context, const std::string& host,
                               Done done) = 0;
};

// The process's resolver (see above).
Resolver& default_resolver();

std::unique_ptr<Resolver> make_system_resolver();
std::unique_ptr<Resolver> make_hosts_file_resolver(std::string path);

// Keeps the preferred family (IPv4 when present), sorted, without duplicates.
Resolver::Addresses prefer_ipv4(Resolver::Addresses addresses);

}  // namespace gantry::runtime

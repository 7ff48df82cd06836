#include "support/test_pki.h"

#include <catch2/catch.hpp>

namespace gantry::test {

namespace {

void run_openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult result = run_process(argv, 20s);
    INFO("openssl " << args.front() << ": " << result.err);
    REQUIRE(result.exit_code == 0);
}

std::vector<std::string> key_options(KeyType type) {
    if (type == KeyType::Rsa) {
        return {"-newkey", "rsa:2048"};
    }
    return {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"};
}

}  // namespace

TestPki::TestPki(const std::string& name)
    : ca_cert_(dir_.file("ca.pem"))
    , ca_key_(dir_.file("ca.key")) {
    std::vector<std::string> args{"req", "-x509"};
    for (auto& option : key_options(KeyType::Ecdsa)) {
        args.push_back(option);
    }
    args.insert(args.end(), {"-nodes", "-keyout", ca_key_, "-out", ca_cert_, "-days", "2", "-subj",
                             "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE",
                             "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
    run_openssl(args);
}

IssuedCertificate TestPki::issue(const std::string& file, const std::string& common_name,
                                 const std::vector<std::string>& sans, KeyType type) {
    IssuedCertificate issued{dir_.file(file + ".pem"), dir_.file(file + ".key")};
    std::string csr = dir_.file(file + ".csr");
    std::vector<std::string> args{"req"};
    for (auto& option : key_options(type)) {
        args.push_back(option);
    }
    args.insert(args.end(),
                {"-nodes", "-keyout", issued.key, "-out", csr, "-subj", "/CN=" + common_name});
    run_openssl(args);
    std::string extensions = dir_.file(file + ".ext");
    std::string text = "basicConstraints=CA:FALSE\n";
    if (!sans.empty()) {
        text += "subjectAltName=";
        for (size_t i = 0; i < sans.size(); ++i) {
            text += (i ? "," : "") + sans[i];
        }
        text += "\n";
    }
    write_file(extensions, text);
    run_openssl({"x509", "-req", "-in", csr, "-CA", ca_cert_, "-CAkey", ca_key_, "-CAcreateserial",
                 "-out", issued.cert, "-days", "2", "-extfile", extensions});
    return issued;
}

}  // namespace gantry::test

// Times loading an `attnlab export` file and its first forward call, with LibTorch alone:
//   time_forward FILE INPUT...   where INPUT is long:BxT (token ids, all 5) or float:BxCxHxW (zeros)
// e.g. time_forward gpt.pt long:1x64; time_forward translator.pt long:1x32 long:1x32;
//      time_forward vit.pt float:1x1x28x28. Prints the output shape and both times in ms.
#include <torch/script.h>

#include <chrono>
#include <iostream>
#include <sstream>

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::cerr << "usage: time_forward FILE long:BxT|float:BxCxHxW ...\n";
    return 2;
  }
  using clock = std::chrono::steady_clock;
  auto ms = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::vector<torch::jit::IValue> inputs;
  for (int i = 2; i < argc; ++i) {
    const std::string spec = argv[i];
    const auto colon = spec.find(':');
    std::vector<int64_t> sizes;
    std::stringstream dims(spec.substr(colon + 1));
    for (std::string d; std::getline(dims, d, 'x');) sizes.push_back(std::stoll(d));
    if (spec.substr(0, colon) == "long") inputs.emplace_back(torch::full(sizes, 5, torch::kLong));
    else if (spec.substr(0, colon) == "float") inputs.emplace_back(torch::zeros(sizes));
    else throw std::runtime_error("input " + spec + " is neither long:... nor float:...");
  }
  const auto t0 = clock::now();
  torch::jit::Module model = torch::jit::load(argv[1], torch::kCPU);
  model.eval();
  const auto t1 = clock::now();
  torch::NoGradGuard no_grad;
  const auto out = model.forward(inputs).toTensor();
  const auto t2 = clock::now();
  std::cout << "output " << out.sizes() << "  load " << ms(t0, t1) << " ms  first forward " << ms(t1, t2) << " ms\n";
  return 0;
} catch (const std::exception& e) {
  const std::string what = e.what();
  std::cerr << "error: " << what.substr(0, what.find('\n')) << "\n";
  return 1;
}

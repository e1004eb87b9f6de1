// Linked with one layer's whole archive and only the layers below it (CMakeLists.txt,
// TANDEM_LAYER_CHECK): it builds only if that layer calls nothing above it.
int main() { return 0; }

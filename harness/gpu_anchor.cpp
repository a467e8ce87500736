// Anchors the bb_gpu library; its sources come from the rooms' gpu.cmake files.
namespace bb { int bb_gpu_anchor = 0; }

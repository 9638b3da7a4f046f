# Configuration: option registry, value syntax, YAML loading, memory model.
target_sources(sluice_common PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/config.c
  ${CMAKE_CURRENT_LIST_DIR}/options.c
  ${CMAKE_CURRENT_LIST_DIR}/units.c
  ${CMAKE_CURRENT_LIST_DIR}/memory.c)
target_link_libraries(sluice_common PUBLIC PkgConfig::YAML)

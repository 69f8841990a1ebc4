package aquacat.opensearch;

import java.util.Map;
import org.opensearch.index.mapper.GeoShapeFieldMapper;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.plugins.MapperPlugin;
import org.opensearch.plugins.Plugin;

/**
 * The geo_shape field type for InvenioRDM's record mappings.
 *
 * <p>OpenSearch's own "geo" module, which registers it, is not published on Maven Central;
 * the mapper itself lives in OpenSearch's core jar. This module registers that core mapper
 * under its usual name and nothing else.
 */
public class GeoShapePlugin extends Plugin implements MapperPlugin {
    @Override
    public Map<String, Mapper.TypeParser> getMappers() {
        return Map.of(GeoShapeFieldMapper.CONTENT_TYPE, new GeoShapeFieldMapper.TypeParser());
    }
}

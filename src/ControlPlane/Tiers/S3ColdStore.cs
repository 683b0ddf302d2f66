using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace ControlPlane.Tiers;

/// <summary>Archives as objects of an S3-compatible bucket (AWSSDK.S3; endpoint, bucket and credentials from configuration).</summary>
public sealed class S3ColdStore : IColdStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly S3StoreOptions _options;
    private readonly SemaphoreSlim _bucketReady = new(1, 1);
    private bool _bucketChecked;

    public S3ColdStore(S3StoreOptions options)
    {
        _options = options;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (string.IsNullOrEmpty(options.ServiceUrl))
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = options.Region;
        }

        AWSCredentials credentials = string.IsNullOrEmpty(options.AccessKey)
            ? new AnonymousAWSCredentials()
            : new BasicAWSCredentials(options.AccessKey, options.SecretKey);
        _client = new AmazonS3Client(credentials, config);
    }

    public string Name => $"s3:{_options.Bucket}/{_options.Prefix}";

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await Guard(key, async () =>
        {
            await EnsureBucketAsync(cancellationToken);
            using var body = new MemoryStream(content.ToArray(), writable: false);
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _options.Bucket,
                Key = _options.Prefix + key,
                InputStream = body,
                AutoCloseStream = false,
                UseChunkEncoding = false,
            }, cancellationToken);
            return true;
        });
    }

    public Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken) => Guard(key, async () =>
    {
        try
        {
            using var response = await _client.GetObjectAsync(_options.Bucket, _options.Prefix + key, cancellationToken);
            using var buffer = new MemoryStream(response.ContentLength > 0 ? (int)response.ContentLength : 0);
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return (byte[]?)null;
        }
    });

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Guard(key, async () => await _client.DeleteObjectAsync(_options.Bucket, _options.Prefix + key, cancellationToken));

    public void Dispose()
    {
        _client.Dispose();
        _bucketReady.Dispose();
    }

    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (!_options.CreateBucket || _bucketChecked)
        {
            return;
        }

        await _bucketReady.WaitAsync(cancellationToken);
        try
        {
            if (!_bucketChecked)
            {
                try
                {
                    await _client.PutBucketAsync(_options.Bucket, cancellationToken);
                }
                catch (AmazonS3Exception exception) when (exception.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
                {
                    // Someone (another instance) made it first.
                }

                _bucketChecked = true;
            }
        }
        finally
        {
            _bucketReady.Release();
        }
    }

    private async Task<T> Guard<T>(string key, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception exception) when (exception is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or TaskCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            throw new ColdStoreUnavailableException(Name, key, exception);
        }
    }
}

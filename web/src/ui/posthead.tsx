// Who wrote a featured post, as the screen and the overlay show it:
// initials for an avatar (no request to the platform), the name or the
// handle, the handle, the platform. Classes are `${prefix}-avatar` and so
// on, so that each page styles it its own way.
import type { Post } from '../types';
import { atHandle, initials, platformName } from '../state/posts';

export function PostHead({ post, prefix }: { post: Post; prefix: string }) {
  return (
    <div class={`${prefix}-head`}>
      <span class={`${prefix}-avatar`} aria-hidden="true">
        {initials(post.author_name, post.author_handle)}
      </span>
      <span class={`${prefix}-who`}>
        <span class={`${prefix}-name`} dir="auto">
          {post.author_name || atHandle(post.author_handle)}
        </span>
        {post.author_name && post.author_handle && (
          <span class={`${prefix}-handle`} dir="ltr">
            {atHandle(post.author_handle)}
          </span>
        )}
      </span>
      <span class={`${prefix}-platform platform-${post.platform}`}>{platformName(post.platform)}</span>
    </div>
  );
}
